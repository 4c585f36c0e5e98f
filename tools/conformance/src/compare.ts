/** Structural comparison of expected and actual outputs that names each difference. */

const MAX_SHOWN = 48;

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}... (${text.length} chars)` : text;
}

/** Shows two strings from a little before their first differing character. */
function showStrings(expected: string, actual: string): string {
  let i = 0;
  while (i < expected.length && expected[i] === actual[i]) i++;
  const start = Math.max(0, i - 8);
  const cut = (s: string) => `${start > 0 ? '...' : ''}${s.slice(start, start + 32)}${s.length > start + 32 ? '...' : ''}`;
  return `expected "${cut(expected)}", got "${cut(actual)}" (first difference at character ${i})`;
}

/**
 * Returns one line per difference, such as `output.envelope: expected "...", got "..."`. An empty
 * list means the values are equal. Object keys compare as sets, so key order does not matter.
 */
export function differences(expected: unknown, actual: unknown, path = 'output'): string[] {
  if (typeof expected === 'string' && typeof actual === 'string') {
    return expected === actual ? [] : [`${path}: ${showStrings(expected, actual)}`];
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const lines: string[] = [];
    if (expected.length !== actual.length) lines.push(`${path}: expected ${expected.length} items, got ${actual.length}`);
    const n = Math.min(expected.length, actual.length);
    for (let i = 0; i < n; i++) lines.push(...differences(expected[i], actual[i], `${path}[${i}]`));
    return lines;
  }
  if (isObject(expected) && isObject(actual)) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    return [...keys].flatMap((key) => differences(expected[key], actual[key], `${path}.${key}`));
  }
  return Object.is(expected, actual) ? [] : [`${path}: expected ${show(expected)}, got ${show(actual)}`];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
