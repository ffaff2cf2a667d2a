/** `@vibariant/sdk/goals`: goals marked in the page, and candidates found in the DOM. */
export { detectGoals, pagePattern, score, selectorOf } from './goals.js';
