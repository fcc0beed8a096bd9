#!/usr/bin/env node
// Huddle interop peer: a stock Yjs document synced through a stock y-websocket
// client, driven by a JSON script of steps. Used by the Rust integration tests.
//
// Usage:
//   node yclient.mjs <ws-base-url> <board-id> [script.json | -]
//   e.g. node yclient.mjs ws://127.0.0.1:1234/ws my-board steps.json
//   With no script argument (or "-") the script is read from stdin.
//
// The script is a JSON array of steps (or an object {"steps": [...]}).
// stdout carries only the output of `dump` / `dump_awareness` / `dump_events`
// steps, one JSON line each, with object keys sorted. Everything else goes to
// stderr.
//
// Environment: HUDDLE_KEY, if set, is passed as the `key` URL parameter
// (`params: { key }`): a share link's key, or the server's admin key.
//
// Every binary frame the peer receives is recorded as it came (for the rounds
// secrecy tests: `dump_received`), and Huddle's round events in it are decoded
// (`wait_for_round_event`); `send_round` sends a raw round request, which a
// stock client never does.
// Exit code 0 on success; on any error or timeout a message goes to stderr
// and the exit code is 1.

import * as fs from 'node:fs'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import * as syncProtocol from 'y-protocols/sync'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'

// Route every console logger (y-websocket / yjs may log) to stderr so stdout
// carries only dump lines. (The imported modules do not log while loading.)
const toStderr = (...args) => console.error(...args)
console.log = toStderr
console.info = toStderr
console.debug = toStderr
// y-websocket reports the server's "permission denied" auth message only with
// console.warn ("Permission denied to access <url>.\n<reason>"): keep the reasons.
const denials = []
console.warn = (...args) => {
  const text = args.map(String).join(' ')
  const at = text.indexOf('Permission denied')
  if (at >= 0) denials.push(text.slice(text.indexOf('\n', at) + 1))
  toStderr(...args)
}

// Huddle's custom message type and its round sub-kinds (shared/src/wire/message.rs).
const MSG_HUDDLE = 100
const HUDDLE_ROUND_REQUEST = 2
const HUDDLE_ROUND_EVENT = 3

// Every binary frame received (copies, in order) and the round events in them.
const received = []
const roundEvents = []

/** The round events in one frame (a frame may hold several messages). */
function roundEventsIn (bytes) {
  const out = []
  const dec = decoding.createDecoder(bytes)
  try {
    while (decoding.hasContent(dec)) {
      const type = decoding.readVarUint(dec)
      if (type === 0) { // sync: step, payload
        decoding.readVarUint(dec)
        decoding.readVarUint8Array(dec)
      } else if (type === 1) { // awareness
        decoding.readVarUint8Array(dec)
      } else if (type === 2) { // auth: kind, reason
        decoding.readVarUint(dec)
        decoding.readVarString(dec)
      } else if (type === 3) { // query awareness
      } else if (type === MSG_HUDDLE) {
        const body = decoding.createDecoder(decoding.readVarUint8Array(dec))
        if (decoding.readVarUint(body) === HUDDLE_ROUND_EVENT) {
          out.push(JSON.parse(new TextDecoder().decode(decoding.readVarUint8Array(body))))
        }
      } else {
        break
      }
    }
  } catch (e) {
    console.error('yclient: unreadable frame:', e && e.message)
  }
  return out
}

/** The `ws` WebSocket, recording what it receives before y-websocket reads it. */
class RecordingWebSocket extends WebSocket {
  constructor (...args) {
    super(...args)
    this.addEventListener('message', (ev) => {
      if (typeof ev.data === 'string') return
      const bytes = new Uint8Array(ev.data).slice()
      received.push(bytes)
      roundEvents.push(...roundEventsIn(bytes))
    })
  }
}

const DEFAULT_TIMEOUT_MS = 10_000
const POLL_MS = 20
const DEBUG = !!process.env.YCLIENT_DEBUG

const debug = (...args) => { if (DEBUG) console.error('[yclient]', ...args) }

class StepError extends Error {}

function usage () {
  return 'usage: node yclient.mjs <ws-base-url, e.g. ws://127.0.0.1:1234/ws> <board-id> [script.json | -]'
}

// ---------------------------------------------------------------- output

/** Recursively sort object keys so the output is canonical. */
function canonical (v) {
  if (Array.isArray(v)) return v.map(canonical)
  if (v instanceof Uint8Array) return Array.from(v)
  if (v !== null && typeof v === 'object') {
    const out = {}
    for (const k of Object.keys(v).sort()) out[k] = canonical(v[k])
    return out
  }
  return v
}

let lastWrite = Promise.resolve()
function emit (obj) {
  const line = JSON.stringify(canonical(obj)) + '\n'
  lastWrite = new Promise((resolve, reject) => {
    process.stdout.write(line, (err) => (err ? reject(err) : resolve()))
  })
}

// ---------------------------------------------------------------- helpers

function sleep (ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Poll `pred` until true, or throw after `timeoutMs` with `describe()`. */
async function waitUntil (pred, timeoutMs, describe) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (pred()) return
    if (Date.now() >= deadline) {
      throw new StepError(`timeout after ${timeoutMs} ms: ${describe()}`)
    }
    await sleep(POLL_MS)
  }
}

function need (step, key, type) {
  const v = step[key]
  const ok = type === 'array' ? Array.isArray(v) : typeof v === type
  if (!ok) {
    throw new StepError(`step ${JSON.stringify(step)}: "${key}" must be a ${type}`)
  }
  return v
}

function deepEqual (a, b) {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))
}

function plain (v) {
  return v instanceof Y.AbstractType ? v.toJSON() : v
}

// ---------------------------------------------------------------- main

async function readScript (arg) {
  let text
  if (arg === undefined || arg === '-') {
    const chunks = []
    for await (const c of process.stdin) chunks.push(c)
    text = Buffer.concat(chunks).toString('utf8')
  } else {
    text = fs.readFileSync(arg, 'utf8')
  }
  let parsed
  try {
    parsed = JSON.parse(text)
  } catch (e) {
    throw new StepError(`script is not valid JSON: ${e.message}`)
  }
  const steps = Array.isArray(parsed) ? parsed : parsed && parsed.steps
  if (!Array.isArray(steps)) {
    throw new StepError('script must be a JSON array of steps or {"steps": [...]}')
  }
  steps.forEach((s, i) => {
    if (!s || typeof s !== 'object' || typeof s.op !== 'string') {
      throw new StepError(`step #${i} has no "op": ${JSON.stringify(s)}`)
    }
  })
  return steps
}

async function main () {
  const [url, board, scriptArg, ...rest] = process.argv.slice(2)
  if (!url || !board || rest.length > 0) throw new StepError(usage())
  const steps = await readScript(scriptArg)

  const doc = new Y.Doc()
  const meta = doc.getMap('meta')
  const items = doc.getMap('items')

  // ALWAYS disableBc: otherwise docs in one process share updates over
  // BroadcastChannel and bypass the server.
  const params = process.env.HUDDLE_KEY ? { key: process.env.HUDDLE_KEY } : {}
  const closes = []
  const provider = new WebsocketProvider(url, board, doc, {
    disableBc: true,
    params,
    WebSocketPolyfill: RecordingWebSocket
  })
  provider.on('status', (e) => debug('status', e.status))
  provider.on('sync', (s) => debug('sync', s))
  provider.on('connection-error', (e) => debug('connection-error', e && e.message))
  provider.on('connection-close', (e) => {
    debug('connection-close', e && e.code, e && e.reason)
    if (e) closes.push({ code: e.code, reason: String(e.reason ?? '') })
  })

  let localChanges = false
  doc.on('update', (_u, origin) => { if (origin !== provider) localChanges = true })

  const getItem = (step) => {
    const id = need(step, 'id', 'string')
    const item = items.get(id)
    if (!(item instanceof Y.Map)) {
      throw new StepError(`step ${JSON.stringify(step)}: no item "${id}"`)
    }
    return item
  }
  const getText = (step) => {
    const t = getItem(step).get('text')
    if (!(t instanceof Y.Text)) {
      throw new StepError(`step ${JSON.stringify(step)}: item "${step.id}" has no Y.Text "text"`)
    }
    return t
  }
  const timeoutOf = (step) =>
    typeof step.timeout_ms === 'number' ? step.timeout_ms : DEFAULT_TIMEOUT_MS

  const waitSynced = (timeoutMs) =>
    waitUntil(() => provider.synced && provider.wsconnected, timeoutMs,
      () => `not synced with ${provider.url} (wsconnected=${provider.wsconnected})`)

  // Barrier: send SyncStep1 and wait for the server's SyncStep2 reply. The
  // server handles messages of one connection in order, so once the reply
  // arrives every update we sent before it has been applied by the server.
  const flush = async (timeoutMs) => {
    await waitSynced(timeoutMs)
    const ws = provider.ws
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.removeEventListener('message', onMessage)
        reject(new StepError(`timeout after ${timeoutMs} ms: no SyncStep2 reply to flush`))
      }, timeoutMs)
      function onMessage (ev) {
        try {
          const dec = decoding.createDecoder(new Uint8Array(ev.data))
          if (decoding.readVarUint(dec) === 0 &&
              decoding.readVarUint(dec) === syncProtocol.messageYjsSyncStep2) {
            clearTimeout(timer)
            ws.removeEventListener('message', onMessage)
            resolve()
          }
        } catch (_) { /* not ours */ }
      }
      ws.addEventListener('message', onMessage)
      const enc = encoding.createEncoder()
      encoding.writeVarUint(enc, 0) // messageSync
      syncProtocol.writeSyncStep1(enc, doc)
      ws.send(encoding.toUint8Array(enc))
    })
  }

  const dump = () => ({
    items: items.toJSON(),
    meta: meta.toJSON()
  })

  const others = () => {
    const states = []
    provider.awareness.getStates().forEach((state, clientId) => {
      if (clientId !== doc.clientID && state != null) states.push(state)
    })
    return states
  }

  const ops = {
    async wait_synced (s) { await waitSynced(timeoutOf(s)) },

    async sleep (s) { await sleep(need(s, 'ms', 'number')) },

    async flush (s) { await flush(timeoutOf(s)) },

    // The server refused our changes for good (a locked item): do not wait for it to take
    // them before exiting.
    async forget_changes () { localChanges = false },

    async create_note (s) {
      const id = need(s, 'id', 'string')
      const x = need(s, 'x', 'number')
      const y = need(s, 'y', 'number')
      doc.transact(() => {
        // Integrate the map into `items` first, then fill it: nested Y.Text
        // content is inserted after integration, all in one transaction.
        const note = new Y.Map()
        items.set(id, note)
        note.set('kind', s.kind ?? 'note')
        note.set('pos', [x, y])
        note.set('size', s.size ?? [200, 200])
        const text = new Y.Text()
        note.set('text', text)
        if (s.text) text.insert(0, String(s.text))
        note.set('color', s.color ?? 'yellow')
        note.set('tags', s.tags ?? [])
        note.set('author', s.author ?? 'js')
        note.set('created_at', s.created_at ?? Date.now())
        note.set('z', s.z ?? 'a0')
      })
    },

    async move (s) {
      const item = getItem(s)
      const x = need(s, 'x', 'number')
      const y = need(s, 'y', 'number')
      doc.transact(() => item.set('pos', [x, y]))
    },

    async set_field (s) {
      const item = getItem(s)
      const key = need(s, 'key', 'string')
      if (key === 'text') throw new StepError('set_field cannot replace "text"; use insert_text/delete_text')
      if (!('value' in s)) throw new StepError(`step ${JSON.stringify(s)}: missing "value"`)
      doc.transact(() => item.set(key, s.value))
    },

    async insert_text (s) {
      const t = getText(s)
      const index = need(s, 'index', 'number')
      const text = need(s, 'text', 'string')
      if (index < 0 || index > t.length) throw new StepError(`insert_text: index ${index} out of range 0..${t.length}`)
      doc.transact(() => t.insert(index, text))
    },

    async delete_text (s) {
      const t = getText(s)
      const index = need(s, 'index', 'number')
      const len = need(s, 'len', 'number')
      if (index < 0 || len < 0 || index + len > t.length) {
        throw new StepError(`delete_text: range ${index}+${len} out of range (length ${t.length})`)
      }
      doc.transact(() => t.delete(index, len))
    },

    async delete (s) {
      const id = need(s, 'id', 'string')
      if (!items.has(id)) throw new StepError(`delete: no item "${id}"`)
      doc.transact(() => items.delete(id))
    },

    async set_meta (s) {
      const key = need(s, 'key', 'string')
      if (!('value' in s)) throw new StepError(`step ${JSON.stringify(s)}: missing "value"`)
      doc.transact(() => meta.set(key, s.value))
    },

    async wait_for (s) {
      const n = need(s, 'items', 'number')
      await waitUntil(() => items.size === n, timeoutOf(s),
        () => `items has ${items.size} entries, want ${n}`)
    },

    async wait_for_text (s) {
      const id = need(s, 'id', 'string')
      const want = need(s, 'text', 'string')
      const cur = () => {
        const item = items.get(id)
        const t = item instanceof Y.Map ? item.get('text') : undefined
        return t instanceof Y.Text ? t.toString() : undefined
      }
      await waitUntil(() => cur() === want, timeoutOf(s),
        () => `item "${id}" text is ${JSON.stringify(cur())}, want ${JSON.stringify(want)}`)
    },

    async wait_for_field (s) {
      const id = need(s, 'id', 'string')
      const key = need(s, 'key', 'string')
      const cur = () => {
        const item = items.get(id)
        return item instanceof Y.Map ? plain(item.get(key)) : undefined
      }
      await waitUntil(() => deepEqual(cur(), s.value), timeoutOf(s),
        () => `item "${id}".${key} is ${JSON.stringify(cur())}, want ${JSON.stringify(s.value)}`)
    },

    async wait_for_meta (s) {
      const key = need(s, 'key', 'string')
      const cur = () => plain(meta.get(key))
      await waitUntil(() => deepEqual(cur(), s.value), timeoutOf(s),
        () => `meta.${key} is ${JSON.stringify(cur())}, want ${JSON.stringify(s.value)}`)
    },

    async dump () { emit(dump()) },

    // What the server refused (auth "permission denied" reasons) and how
    // connections were closed, so far.
    async dump_events () { emit({ denials, closes }) },

    async wait_for_denial (s) {
      const n = typeof s.count === 'number' ? s.count : 1
      await waitUntil(() => denials.length >= n, timeoutOf(s),
        () => `${denials.length} permission denials, want ${n}`)
    },

    async set_awareness (s) {
      if (!('state' in s)) throw new StepError(`step ${JSON.stringify(s)}: missing "state"`)
      provider.awareness.setLocalState(s.state)
    },

    async wait_for_awareness (s) {
      const n = need(s, 'count', 'number')
      await waitUntil(() => others().length === n, timeoutOf(s),
        () => `${others().length} other awareness states, want ${n}`)
    },

    // Sends `request` (a round request: {"req": 1, "op": "hello"}) as Huddle's
    // custom message, as a page would.
    async send_round (s) {
      if (!s.request || typeof s.request !== 'object') throw new StepError('send_round needs "request"')
      await waitSynced(timeoutOf(s))
      const body = encoding.createEncoder()
      encoding.writeVarUint(body, HUDDLE_ROUND_REQUEST)
      encoding.writeVarUint8Array(body, new TextEncoder().encode(JSON.stringify(s.request)))
      const enc = encoding.createEncoder()
      encoding.writeVarUint(enc, MSG_HUDDLE)
      encoding.writeVarUint8Array(enc, encoding.toUint8Array(body))
      provider.ws.send(encoding.toUint8Array(enc))
    },

    // Waits for a round event whose fields include every field of `match`
    // ({"ev": "ack", "req": 1}).
    async wait_for_round_event (s) {
      const want = s.match
      if (!want || typeof want !== 'object') throw new StepError('wait_for_round_event needs "match"')
      const fits = (e) => Object.keys(want).every((k) => deepEqual(e[k], want[k]))
      await waitUntil(() => roundEvents.some(fits), timeoutOf(s),
        () => `no round event like ${JSON.stringify(want)} in ${JSON.stringify(roundEvents)}`)
    },

    // Waits until root map `map` (e.g. "rounds") has at least `size` entries.
    async wait_for_map_size (s) {
      const name = need(s, 'map', 'string')
      const size = need(s, 'size', 'number')
      const map = doc.getMap(name)
      await waitUntil(() => map.size >= size, timeoutOf(s),
        () => `map ${name} has ${map.size} entries, want ${size}`)
    },

    // Prints {"frames": [hex, ...], "events": [...]}: every frame received so
    // far, and the round events among them.
    async dump_received () {
      emit({ frames: received.map((b) => Buffer.from(b).toString('hex')), events: roundEvents })
    },

    async dump_awareness () {
      const list = others().map(canonical)
      list.sort((a, b) => {
        const x = JSON.stringify(a); const y = JSON.stringify(b)
        return x < y ? -1 : x > y ? 1 : 0
      })
      emit(list)
    }
  }

  try {
    for (const [i, step] of steps.entries()) {
      const fn = Object.prototype.hasOwnProperty.call(ops, step.op) ? ops[step.op] : undefined
      if (!fn) throw new StepError(`step #${i}: unknown op "${step.op}"`)
      debug('step', i, JSON.stringify(step))
      try {
        await fn(step)
      } catch (e) {
        if (e instanceof StepError) e.message = `step #${i} (${step.op}): ${e.message}`
        throw e
      }
    }
    // Make sure the server has every local change before we disconnect.
    if (localChanges) {
      try {
        await flush(DEFAULT_TIMEOUT_MS)
      } catch (e) {
        e.message = `final flush: ${e.message}`
        throw e
      }
    }
  } finally {
    provider.destroy()
    doc.destroy()
  }
  await lastWrite
}

main().then(
  () => process.exit(0),
  async (e) => {
    process.stderr.write(`yclient: ${e instanceof StepError ? e.message : (e && e.stack) || e}\n`)
    try { await lastWrite } catch (_) {}
    process.exit(1)
  }
)
