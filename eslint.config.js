// ESLint: typescript-eslint's recommended rules plus the type-checked ones that find real bugs (floating and
// misused promises above all). Style is Prettier's job (npm run format), not ESLint's.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'screenshots/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { globals: globals.node, parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  {
    rules: {
      // camq matches control characters on purpose: to escape them (one-line errors, log lines) and to parse keys.
      'no-control-regex': 'off',
      // `_`-prefixed names are deliberately unused (an interface's parameter a fake ignores).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests: async fakes implement async interfaces without awaiting, matchers such as expect.any() are typed any, and
    // methods are passed to expect() unbound. None of these finds a bug there; floating promises still do.
    files: ['test/**'],
    rules: {
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // amqplib's callbacks hand over its own Error objects typed any; fakes stand in for any-typed listeners;
      // String(url) is what a test of toString() calls.
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  { files: ['**/*.{js,mjs,cjs}'], ...tseslint.configs.disableTypeChecked },
);
