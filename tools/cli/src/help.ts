import { KX_HELP } from './kx.js';

const CONNECTION_HELP = `Broker connection:
  -h, --host HOST       broker host name or address (default: localhost)
  -p, --port PORT       broker TCP port (default: 1883, or 8883 with TLS)
  -L, --url URL         broker and topic as one URL, instead of -h, -p, -u, -P
                        and -t: mqtt://[user[:password]@]host[:port]/topic, or
                        the same with mqtts://, ws:// or wss:// (default ports
                        1883, 8883, 80 and 443); percent-encode @ : / in the
                        user name and password
      --ws-path PATH    HTTP path of the WebSocket endpoint for ws:// and
                        wss:// (default: /mqtt)
  -i, --id ID           MQTT client id (default: mqtt-e2ee- and random hex)
  -u, --username NAME   user name for the broker
  -P, --pw PASSWORD     password for the broker (needs -u before MQTT 5)
  -V, --protocol-version VERSION
                        MQTT version: mqttv31, mqttv311 or mqttv5, also
                        written 31, 311 or 5 (default: mqttv311)
  -k, --keepalive SECONDS
                        keepalive interval in seconds; 0 turns it off
                        (default: 60)

TLS to the broker (on with --cafile, --cert, mqtts:// or wss://):
      --cafile FILE     PEM file of the CA certificates that sign the broker
                        certificate (default for mqtts:// and wss:// URLs:
                        the CAs that Node.js trusts)
      --cert FILE       PEM client certificate for mutual TLS (needs --key)
      --key FILE        PEM private key of --cert
      --insecure        skip the check that the broker certificate names the
                        host; the certificate chain is still verified`;

const COMMON_TAIL = `Other:
  -d, --debug           print connection and message events to stderr;
                        payloads, keys and passwords are never printed
      --help            print this help and exit

Exit status: 0 on success, 1 on a failure at run time (for example a refused
connection), 2 on a usage error.`;

export const PUB_HELP = `Usage: mqtt-e2ee pub --identity KEYFILE --to KEY [--to KEY ...] -t TOPIC
                     {-m MESSAGE | -f FILE | -l | -s | -n} [options]

Encrypts each message for every --to recipient and publishes it, like
mosquitto_pub. A message for several recipients is published once per
recipient, each copy readable only by its recipient.

End-to-end encryption:
      --identity FILE   your secret key file (NAME.key from mqtt-e2ee keygen)
      --to KEY          recipient public key: a key line (mqe2e-pk1-...) or
                        the path of a .pub file; repeat for more recipients

Message:
  -t, --topic TOPIC     topic to publish to (no wildcards)
  -m, --message TEXT    send TEXT, encoded as UTF-8, as one message
  -f, --file FILE       send the whole file as one message, byte for byte
  -l, --stdin-line      send each line of stdin as a separate message; the
                        line feed is removed, a carriage return before it is
                        kept, and an empty line is sent as an empty message
  -s, --stdin-file      send all of stdin as one message
  -n, --null-message    send an empty message (still encrypted)
  -q, --qos QOS         QoS level 0, 1 or 2 (default: 0)
  -r, --retain          ask the broker to retain the message (one --to only)

Groups (need --client-id):
      --group ID        encrypt each message once for all --member clients,
                        on sender keys that change with the members
      --member ID       client id of a group member; repeat, or separate
                        ids with commas
      --sign            sign each group message, so that members cannot
                        forge messages in your name

${KX_HELP}

  With --client-id, --to also takes client ids.

${CONNECTION_HELP}

${COMMON_TAIL}

Examples:
  mqtt-e2ee keygen -o alice
  mqtt-e2ee pub --identity alice.key --to bob.pub -t sensors/room1 -m 21.5
  tail -f readings.csv | mqtt-e2ee pub --identity alice.key --to bob.pub \\
      -t sensors/room1 -l -q 1
  mqtt-e2ee pub --identity alice.key --to bob.pub \\
      -L mqtts://broker:8883/firmware --cafile ca.pem -f fw.bin
  mqtt-e2ee pub --identity alice.key --client-id alice --anchor org.pub \\
      --endorsement alice.endorsement.json --to bob -t sensors/room1 -m 21.5
  mqtt-e2ee pub --identity alice.key --client-id alice --group plant \\
      --member bob --member carol -t plant/temp -m 21.5
`;

export const SUB_HELP = `Usage: mqtt-e2ee sub --identity KEYFILE --from KEY [--from KEY ...]
                     -t FILTER [-t FILTER ...] [options]

Subscribes, decrypts and prints each message from an accepted sender, like
mosquitto_sub. A message that fails to decrypt or comes from another sender is
reported on stderr as one line with its error code and topic; its payload is
never printed. An envelope addressed to another recipient is skipped without a
line on stderr, unless -d is given.

End-to-end encryption:
      --identity FILE   your secret key file (NAME.key from mqtt-e2ee keygen)
      --from KEY        accepted sender public key: a key line (mqe2e-pk1-...)
                        or the path of a .pub file; repeat for more senders

Subscription and output:
  -t, --topic FILTER    topic filter to subscribe to, wildcards + and #
                        allowed; repeat for more filters
  -q, --qos QOS         maximum QoS level 0, 1 or 2 requested (default: 0)
  -c, --disable-clean-session
                        keep the broker session across connections (needs -i)
  -C, --count N         exit after N messages were printed (default: no limit)
  -W, --timeout SECONDS exit SECONDS after the subscription is in place;
                        fractions such as 0.5 are allowed (default: no limit);
                        the exit status is 1 if -C was given and fewer than N
                        messages arrived, 0 otherwise
  -v, --verbose         print "TOPIC PAYLOAD" instead of the payload alone
  -N, --no-eol          do not print a line feed after each message
      --hex             print the payload as lowercase hexadecimal

${KX_HELP}

  With --client-id, --from is optional.

${CONNECTION_HELP}

${COMMON_TAIL}

Examples:
  mqtt-e2ee sub --identity bob.key --from alice.pub -t 'sensors/#' -v
  mqtt-e2ee sub --identity bob.key --from alice.pub -t fw -C 1 -N > fw.bin
  mqtt-e2ee sub --identity bob.key --from alice.pub \\
      -L mqtts://broker:8883/sensors/+ --cafile ca.pem
  mqtt-e2ee sub --identity bob.key --client-id bob --anchor org.pub \\
      --endorsement bob.endorsement.json -t 'sensors/#' -v
`;

export const KEYGEN_HELP = `Usage: mqtt-e2ee keygen -o NAME [--force]

Generates an X25519 identity. Writes the secret key to NAME.key (file mode
0600) and the public key line to NAME.pub, then prints the public key line.
Give NAME.pub (or the printed line) to your peers; keep NAME.key private.

Options:
  -o, --out NAME        output path without extension
      --force           overwrite NAME.key and NAME.pub if they exist
                        (default: exit with status 1 instead)
      --help            print this help and exit

Example:
  mqtt-e2ee keygen -o alice
`;

export const MAIN_HELP = `Usage: mqtt-e2ee COMMAND [options]

End-to-end encrypted MQTT from the command line. The broker only sees envelopes
(HPKE with X25519, HKDF-SHA256 and ChaCha20-Poly1305); only the recipients named
by the sender can read the payloads.

Commands:
  keygen   create an identity: NAME.key (secret) and NAME.pub (public)
  pub      encrypt and publish messages, with mosquitto_pub flags
  sub      subscribe, decrypt and print messages, with mosquitto_sub flags
  anchor   create an organisation trust anchor: NAME.key and NAME.pub
  endorse  sign a device key with the anchor, for the anchor trust policy
  revoke   publish an anchor-signed revocation of a device key
  announce publish (or with --rotate, replace) your signed key announcement

Run 'mqtt-e2ee COMMAND --help' for the options of a command, and
'mqtt-e2ee --version' for the version.
`;

export const ANCHOR_HELP = `Usage: mqtt-e2ee anchor -o NAME [--force]

Creates an organisation trust anchor: an Ed25519 key pair whose secret key
endorses device keys and signs revocations. Writes NAME.key (mode 0600; keep
it offline) and NAME.pub, then prints the anchor public key line. Give
NAME.pub to every client that uses --policy anchor.

Options:
  -o, --out NAME        output path without extension
      --force           overwrite NAME.key and NAME.pub if they exist
      --help            print this help and exit

Example:
  mqtt-e2ee anchor -o org-anchor
`;

export const ENDORSE_HELP = `Usage: mqtt-e2ee endorse --anchor ANCHOR.key --client-id ID
                         --device-key DEVICE.pub [-o FILE] [options]

Signs the key pair of a device (both lines of its .pub file) for client id ID
with the anchor, and writes the endorsement as JSON to FILE or stdout. The
device passes the file to --endorsement, and clients with --policy anchor then
trust its key.

Options:
      --anchor FILE     anchor secret key file (NAME.key from mqtt-e2ee anchor)
      --client-id ID    client id the device announces
      --device-key FILE the device's public key file; it has a signing key
                        line after the device first ran with --client-id
      --days N          validity in days (default: 365)
      --prefix PREFIX   topic prefix of the key records (default: e2ee/v1)
  -o, --out FILE        write the endorsement to FILE (default: stdout)
      --help            print this help and exit

Example:
  mqtt-e2ee endorse --anchor org-anchor.key --client-id sensor-1 \\
      --device-key sensor-1.pub -o sensor-1.endorsement.json
`;

export const REVOKE_HELP = `Usage: mqtt-e2ee revoke --anchor ANCHOR.key --client-id ID
                        --device-key DEVICE.pub [--reason TEXT] [options]

Signs a revocation of the device key pair with the anchor and publishes it,
retained with QoS 1, on PREFIX/revocations/ID/KEYID. Clients that trust the
anchor then stop encrypting to the key and reject messages from it.

Options:
      --anchor FILE     anchor secret key file
      --client-id ID    client id of the device
      --device-key FILE the revoked device's public key file
      --reason TEXT     short reason kept in the record (at most 200
                        characters)
      --prefix PREFIX   topic prefix of the key records (default: e2ee/v1)
  -o, --out FILE        write the record to FILE instead of publishing it

${CONNECTION_HELP}

${COMMON_TAIL}

Example:
  mqtt-e2ee revoke --anchor org-anchor.key --client-id sensor-1 \\
      --device-key sensor-1.pub --reason 'device lost' -h broker
`;

export const ANNOUNCE_HELP = `Usage: mqtt-e2ee announce --identity KEYFILE --client-id ID [options]

Publishes your signed key announcement, retained, on PREFIX/keys/ID, and
prints the fingerprint of your signing key for others to pin. With --rotate
it first creates a new key pair, signed by the old one, and rewrites KEYFILE;
the old key still decrypts messages in flight for 10 minutes.

Options:
      --identity FILE   your secret key file (a signing key line is added on
                        first use)
      --rotate          replace your key pair with a new one

${KX_HELP}

${CONNECTION_HELP}

${COMMON_TAIL}

Examples:
  mqtt-e2ee announce --identity alice.key --client-id alice
  mqtt-e2ee announce --identity alice.key --client-id alice --rotate
`;
