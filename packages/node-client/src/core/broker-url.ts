/** Broker URL check shared by the Node.js and browser entries, which differ only in the schemes they accept. */
import { Described, InvalidOptionError, OptionRangeError } from './errors.js';

/** The broker URLs one platform accepts. */
export interface BrokerUrlRules {
  /** Accepted schemes without the colon, such as 'mqtts'. */
  readonly protocols: readonly string[];
  /** A URL shown in messages, such as 'mqtts://broker.example:8883'. */
  readonly example: string;
  /** What a message says is expected when the scheme is not accepted. */
  readonly schemeExpected: string;
  /** Accept Unix socket schemes such as 'mqtt+unix' by their base scheme. Default false. */
  readonly unixSockets?: boolean;
}

/**
 * Checks that `brokerUrl` is an absolute URL with an accepted scheme and returns it without user
 * name and password, so messages never show credentials.
 */
export function checkBrokerUrlWith(brokerUrl: unknown, rules: BrokerUrlRules): string {
  if (typeof brokerUrl !== 'string') {
    throw new InvalidOptionError('brokerUrl', `a URL string such as '${rules.example}'`, brokerUrl);
  }
  let url: URL;
  try {
    url = new URL(brokerUrl);
  } catch (error) {
    throw new OptionRangeError(
      'brokerUrl',
      `a URL such as '${rules.example}'`,
      new Described('a string that is not an absolute URL'),
      { cause: error },
    );
  }
  let protocol = url.protocol.replace(/:$/, '');
  if (rules.unixSockets === true) protocol = protocol.replace(/\+unix$/, '');
  if (!rules.protocols.includes(protocol)) {
    throw new OptionRangeError(
      'brokerUrl',
      rules.schemeExpected,
      new Described(`a URL with the scheme ${url.protocol}`),
    );
  }
  url.username = '';
  url.password = '';
  return url.toString();
}
