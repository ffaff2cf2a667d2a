/**
 * The deterministic assignment core of @vibariant/sdk (ASSIGNMENT.md): pure functions with no
 * state, I/O or dependencies, imported by the browser SDK and by the server alike.
 */
export {
  assignVariant,
  chooseVariant,
  equalWeights,
  pickVariant,
  WEIGHT_SUM_TOLERANCE,
} from './choose-variant.js';
export { hashUnit } from './hash.js';
export {
  EXPERIMENT_KEY_MAX_LENGTH,
  EXPERIMENT_KEY_PATTERN,
  isValidExperimentKey,
  isValidVisitorId,
  VISITOR_ID_MAX_LENGTH,
} from './identifiers.js';
