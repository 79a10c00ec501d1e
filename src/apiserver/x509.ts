// @peculiar/x509, ready to use: it needs the Reflect metadata polyfill loaded before it and
// Node's WebCrypto as its provider. Import x509 from here, never from the package directly.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as never);

export { x509 };
