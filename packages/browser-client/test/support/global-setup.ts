/** Builds the browser bundle once before the tests, so the page always loads the current source. */
import { buildBundle } from '../../scripts/bundle.mjs';

export default async function setup(): Promise<void> {
  await buildBundle();
}
