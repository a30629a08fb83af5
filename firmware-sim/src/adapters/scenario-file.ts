// Reads a scenario YAML file and validates it; errors name the file and every bad field.

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseScenario, type Scenario } from '../core/scenario-schema.js';

export function loadScenarioFile(path: string): Scenario {
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`scenario ${path}: ${(error as Error).message}`, { cause: error });
  }
  const result = parseScenario(raw);
  if (!result.ok) throw new Error(`scenario ${path} is invalid:\n${result.error}`);
  return result.scenario;
}
