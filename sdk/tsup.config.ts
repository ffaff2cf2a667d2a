import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      core: 'src/core/index.ts',
      autotrack: 'src/autotrack/index.ts',
      goals: 'src/goals/index.ts',
      react: 'src/react/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
    target: 'es2020',
    minify: true,
    sourcemap: true,
    clean: true,
    external: ['react'],
  },
  {
    entry: { vibariant: 'src/script-tag.ts' },
    format: ['iife'],
    target: 'es2020',
    minify: true,
    outExtension: () => ({ js: '.global.js' }),
  },
]);
