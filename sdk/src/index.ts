/**
 * @vibariant/sdk: assigns visitors to experiment variants deterministically, the same way the
 * server does. For now this is the assignment core; `@vibariant/sdk/core` exports the same.
 */
export * from './core/index.js';
