/**
 * @vibariant/sdk: experiments in the browser. `createVibariant` starts the SDK for a page;
 * the assignment core (`hashUnit`, `chooseVariant`, shared with the server) is exported too,
 * and on its own from `@vibariant/sdk/core`.
 */
export { createVibariant, type Vibariant, type VibariantOptions } from './client/client.js';
export { type KeyValue, memoryStorage, safeStorage } from './client/storage.js';
export * from './core/index.js';
