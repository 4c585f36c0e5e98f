/**
 * Summarizes a V8 CPU profile (node --cpu-prof) by owner. Each sample goes to the innermost frame
 * that belongs to a known package. So time in a helper of MQTT.js counts as MQTT.js, and time in
 * sodium-native called by the envelope counts as sodium-native.
 *
 *   node bench/dist/profile-summary.js PROFILE.cpuprofile [MESSAGES]
 *
 * With MESSAGES, each owner's time is also shown in microseconds per message.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const OWNERS: [string, RegExp][] = [
  ['sodium-native', /node_modules\/sodium-native\//],
  ['@noble', /node_modules\/@noble\//],
  ['envelope', /packages\/envelope\//],
  ['node-client', /packages\/node-client\//],
  ['key-exchange', /packages\/key-exchange\//],
  ['MQTT.js', /node_modules\/(mqtt|mqtt-packet|bl|debug|readable-stream|number-allocator)\//],
  ['bench harness', /\/bench\/dist\//],
];
const SPECIAL = new Set(['(idle)', '(garbage collector)', '(program)']);

function ownerOf(nodeId: number, nodes: Map<number, ProfileNode>, parents: Map<number, number>): string {
  const leaf = nodes.get(nodeId)?.callFrame.functionName ?? '';
  if (SPECIAL.has(leaf)) return leaf;
  for (let id: number | undefined = nodeId; id !== undefined; id = parents.get(id)) {
    const url = nodes.get(id)?.callFrame.url ?? '';
    const owner = OWNERS.find(([, pattern]) => pattern.test(url));
    if (owner !== undefined) return owner[0];
  }
  return 'Node.js and other';
}

function main(): void {
  const [file, messagesText] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: node bench/dist/profile-summary.js PROFILE.cpuprofile [MESSAGES]\n');
    process.exitCode = 2;
    return;
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const totals = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((nodeId, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    total += micros;
    const owner = ownerOf(nodeId, nodes, parents);
    totals.set(owner, (totals.get(owner) ?? 0) + micros);
  });
  const messages = messagesText === undefined ? undefined : Number(messagesText);
  for (const [owner, micros] of [...totals].sort((a, b) => b[1] - a[1])) {
    const share = ((micros / total) * 100).toFixed(1).padStart(5);
    const perMessage = messages === undefined ? '' : `  ${(micros / messages).toFixed(2).padStart(7)} us/msg`;
    process.stdout.write(`${owner.padEnd(20)} ${(micros / 1000).toFixed(0).padStart(7)} ms ${share}%${perMessage}\n`);
  }
}

main();
