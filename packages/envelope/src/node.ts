/** Entry '@mqtt-e2ee/envelope/node': the node:crypto provider, for Node.js only. */
export { nodeProvider } from './providers/node.js';
