/** Node's codes for a server certificate that does not verify, and what each means (both wires use it). */
export const TLS_TRUST_REASONS: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'it is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its chain ends in a self-signed CA this machine does not trust',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'no trusted CA signed it',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its issuer is not among the trusted CAs',
  UNABLE_TO_GET_ISSUER_CERT: 'its issuer is not among the trusted CAs',
  CERT_HAS_EXPIRED: 'it has expired',
  CERT_NOT_YET_VALID: 'it is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: "it was issued for another host name than the URL's",
};
