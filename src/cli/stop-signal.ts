/** Resolves on the first SIGINT or SIGTERM, then stops listening: how long-running commands (broker, --watch) end. */
export function nextStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
