import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'docs/api/', 'deployment/', 'coverage/', '.tmp/', 'test-output/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        performance: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The page's names are checked by tsc against the DOM's types (tsconfig.web.json), a list here would not be.
    files: ['src/web/public/**/*.js'],
    rules: { 'no-undef': 'off' },
  },
  {
    // The package's consumers in its tarball tests: plain Node files, CommonJS included.
    files: ['test/package/consumer/**'],
    languageOptions: { globals: { fetch: 'readonly', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
