// kubectl 1.32+ sends typed writes (e.g. `kubectl create ns`, `drain`'s evictions) as
// Kubernetes protobuf: the magic `k8s\0`, then a runtime.Unknown envelope holding the apiVersion,
// kind and the object's own message. We decode the few kinds kubectl creates that way into
// their JSON form; anything else is answered 415 with a hint to use JSON.
import { ApiError, errors } from '../api/errors.js';
import type { KObject } from '../api/object.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

interface Field {
  num: number;
  wire: number;
  /** Varint value (wire type 0). */
  int?: bigint;
  /** Length-delimited bytes (wire type 2). */
  bytes?: Buffer;
}

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [tag, p] = readVarint(buf, pos);
    pos = p;
    const num = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const [v, p2] = readVarint(buf, pos);
      out.push({ num, wire, int: v });
      pos = p2;
    } else if (wire === 2) {
      const [len, p2] = readVarint(buf, pos);
      const end = p2 + Number(len);
      if (end > buf.length) throw new Error('truncated field');
      out.push({ num, wire, bytes: buf.subarray(p2, end) });
      pos = end;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const str = (f: Field | undefined): string | undefined => f?.bytes?.toString('utf8');

function map(fs: Field[], num: number): Record<string, string> | undefined {
  const entries = fs.filter((f) => f.num === num && f.bytes);
  if (!entries.length) return undefined;
  const out: Record<string, string> = {};
  for (const e of entries) {
    const kv = fields(e.bytes!);
    out[str(kv.find((f) => f.num === 1)) ?? ''] = str(kv.find((f) => f.num === 2)) ?? '';
  }
  return out;
}

function objectMeta(buf: Buffer | undefined): KObject['metadata'] {
  const fs = fields(buf ?? Buffer.alloc(0));
  const meta: KObject['metadata'] = {};
  const set = (k: 'name' | 'generateName' | 'namespace', n: number): void => {
    const v = str(fs.find((f) => f.num === n));
    if (v) meta[k] = v;
  };
  set('name', 1);
  set('generateName', 2);
  set('namespace', 3);
  const labels = map(fs, 11);
  if (labels) meta.labels = labels;
  const annotations = map(fs, 12);
  if (annotations) meta.annotations = annotations;
  return meta;
}

function int64(f: Field | undefined): number | undefined {
  return f?.int === undefined ? undefined : Number(BigInt.asIntN(64, f.int));
}

/** Message decoders by `apiVersion/kind`: field numbers from the upstream generated.proto. */
const decoders: Record<string, (fs: Field[]) => Record<string, unknown>> = {
  'v1/Namespace': (fs) => ({ metadata: objectMeta(fs.find((f) => f.num === 1)?.bytes) }),
  'scheduling.k8s.io/v1/PriorityClass': (fs) => {
    const out: Record<string, unknown> = { metadata: objectMeta(fs.find((f) => f.num === 1)?.bytes) };
    const value = int64(fs.find((f) => f.num === 2));
    if (value !== undefined) out.value = value;
    const globalDefault = fs.find((f) => f.num === 3);
    if (globalDefault) out.globalDefault = globalDefault.int === 1n;
    const description = str(fs.find((f) => f.num === 4));
    if (description) out.description = description;
    const policy = str(fs.find((f) => f.num === 5));
    if (policy) out.preemptionPolicy = policy;
    return out;
  },
  'policy/v1/Eviction': (fs) => {
    const out: Record<string, unknown> = { metadata: objectMeta(fs.find((f) => f.num === 1)?.bytes) };
    const opts = fs.find((f) => f.num === 2)?.bytes;
    if (opts) {
      const grace = int64(fields(opts).find((f) => f.num === 1));
      if (grace !== undefined) out.deleteOptions = { gracePeriodSeconds: grace };
    }
    return out;
  },
};

export function decodeProtobuf(body: Buffer): KObject {
  if (!body.subarray(0, 4).equals(MAGIC)) throw errors.badRequest('protobuf body does not start with the k8s magic bytes');
  try {
    const envelope = fields(body.subarray(4));
    const typeMeta = fields(envelope.find((f) => f.num === 1)?.bytes ?? Buffer.alloc(0));
    const apiVersion = str(typeMeta.find((f) => f.num === 1)) ?? '';
    const kind = str(typeMeta.find((f) => f.num === 2)) ?? '';
    const decode = decoders[`${apiVersion}/${kind}`];
    if (!decode) {
      throw errors.unsupportedMediaType(`application/vnd.kubernetes.protobuf for ${apiVersion}/${kind} (send JSON instead)`);
    }
    const raw = envelope.find((f) => f.num === 2)?.bytes ?? Buffer.alloc(0);
    return { apiVersion, kind, ...decode(fields(raw)) } as KObject;
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw errors.badRequest(`could not decode the protobuf body: ${(err as Error).message}`);
  }
}
