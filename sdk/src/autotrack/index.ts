/** `@vibariant/sdk/autotrack`: page views and engagement, tracked for a client. */
export { type AutotrackOptions, autotrack } from './autotrack.js';
