import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup/polyfills.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: forks keep memory isolated and one slow e2e file cannot starve the rest.
    pool: 'forks',
  },
});
