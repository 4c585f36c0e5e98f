// The demo page: an identity in IndexedDB, peers, a connection through the browser bundle, and a
// live view of the ciphertext the broker receives. User text is only ever set as textContent.
import { BrowserKeyStore, connectE2ee, publicKeyText } from '/dist/bundle/mqtt-e2ee-browser.js';

const $ = (id) => document.getElementById(id);
const config = await (await fetch('/api/config')).json();
const store = await BrowserKeyStore.open({ databaseName: 'mqtt-e2ee-demo' });
let identity;
let identityName;
let client;

if (!(await store.listPeers()).some((peer) => peer.publicKeyText === config.peerKey)) {
  await store.addPeer(config.peerKey, 'Node.js echo peer');
}
await showPeers();
await showIdentities();
watchBroker();

$('identity-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  identityName = $('identity-name').value.trim();
  identity = await store.loadOrCreateIdentity(identityName);
  $('public-key').textContent = publicKeyText(identity);
  $('export').disabled = false;
  $('connect').disabled = false;
  await showIdentities();
});

$('export').addEventListener('click', async () => {
  if (!confirm('Show the secret key? Anyone who sees it can read your messages.')) return;
  $('exported').textContent = await store.exportSecretKeyText(identityName);
  $('exported').hidden = false;
});

$('peer-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = $('peer-name').value.trim();
  try {
    await store.addPeer($('peer-key').value.trim(), name === '' ? undefined : name);
    $('peer-key').value = '';
    await showPeers();
  } catch (error) {
    alert(error.message);
  }
});

$('connect').addEventListener('click', async () => {
  $('status').textContent = 'connecting…';
  try {
    client = await connectE2ee(config.wsUrl, { identity, peers: store.peers });
  } catch (error) {
    $('status').textContent = `failed: ${error.message}`;
    return;
  }
  // The Node.js echo peer accepts only keys that were added to its peers.
  await fetch('/api/introduce', { method: 'POST', body: client.publicKeyText });
  await client.subscribe('demo/#', { qos: 1 });
  client.on('message', (message) => addInbox(message));
  client.on('decrypt-error', (error) =>
    addLine($('inbox'), `rejected on ${error.topic}: ${error.code}`, 'error'),
  );
  client.on('offline', () => ($('status').textContent = 'offline, reconnecting…'));
  client.on('connect', () => ($('status').textContent = `connected as key id ${client.keyId}`));
  $('status').textContent = `connected as key id ${client.keyId}`;
  $('connect').disabled = true;
  document.querySelector('#send-form button').disabled = false;
});

$('send-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const to = [...document.querySelectorAll('#peer-list input:checked')].map((box) => box.value);
  if (to.length === 0) return alert('Check at least one peer.');
  try {
    await client.publish($('topic').value.trim(), $('text').value, { to, qos: 1 });
  } catch (error) {
    alert(`${error.code ?? error.name}: ${error.message}`);
  }
});

async function showPeers() {
  const list = $('peer-list');
  list.replaceChildren();
  for (const peer of await store.listPeers()) {
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.value = peer.publicKeyText;
    box.checked = true;
    label.append(box, ` ${peer.name ?? 'unnamed'} (key id ${peer.keyId})`);
    const item = document.createElement('li');
    item.append(label);
    list.append(item);
  }
}

async function showIdentities() {
  const names = (await store.listIdentities()).map((info) => `${info.name} (${info.keyId})`);
  $('identity-list').textContent = names.length === 0 ? 'nothing' : names.join(', ');
}

function addInbox(message) {
  const peer = store.peers.list().find((entry) => entry.keyId === message.sender.keyId);
  const from = peer?.name ?? message.sender.keyId;
  const text = new TextDecoder().decode(message.payload);
  addLine($('inbox'), `${from} on ${message.topic}: ${text}`);
}

function addLine(list, text, className) {
  const item = document.createElement('li');
  item.textContent = text;
  if (className !== undefined) item.className = className;
  list.prepend(item);
}

function watchBroker() {
  const events = new EventSource('/api/broker-view');
  events.onmessage = (event) => {
    const publish = JSON.parse(event.data);
    const item = document.createElement('li');
    const meta = document.createElement('div');
    meta.className = 'meta';
    meta.textContent = `${publish.topic}: ${publish.bytes} bytes, QoS ${publish.qos}${publish.retain ? ', retained' : ''}`;
    const bytes = document.createElement('code');
    bytes.textContent = `${publish.preview}${publish.bytes * 2 > publish.preview.length ? '…' : ''}`;
    item.append(meta, bytes);
    $('broker-view').prepend(item);
  };
}
