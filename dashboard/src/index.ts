// @pledgeguard/dashboard: the bank and operator web app. Pages land with their issue.
export * from './format.js';
