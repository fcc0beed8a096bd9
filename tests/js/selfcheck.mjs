#!/usr/bin/env node
// Self-check for yclient.mjs that needs no Huddle server: starts the reference
// y-websocket server (@y/websocket-server, in-memory) on 127.0.0.1:<random>,
// mounted like Huddle's at /ws/{board}, and runs several yclient processes
// against it. Exit 0 when every check passes.

import * as http from 'node:http'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { WebSocketServer } from 'ws'
import { setupWSConnection } from '@y/websocket-server/utils'

const here = path.dirname(fileURLToPath(import.meta.url))
const yclient = path.join(here, 'yclient.mjs')
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'huddle-yclient-'))

// ------------------------------------------------------------ server

function startServer () {
  const server = http.createServer((_req, res) => { res.writeHead(404); res.end() })
  const wss = new WebSocketServer({ noServer: true })
  server.on('upgrade', (req, socket, head) => {
    const m = /^\/ws\/([^/?]+)/.exec(req.url || '')
    if (!m) { socket.destroy(); return }
    const board = decodeURIComponent(m[1])
    wss.handleUpgrade(req, socket, head, (conn) => {
      setupWSConnection(conn, req, { docName: board, gc: true })
    })
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, wss, port: server.address().port }))
  })
}

// ------------------------------------------------------------ client runner

let n = 0
function runClient (url, board, steps, { stdin = false } = {}) {
  const args = [yclient, url, board]
  if (!stdin) {
    const file = path.join(tmp, `script-${++n}.json`)
    fs.writeFileSync(file, JSON.stringify(steps))
    args.push(file)
  }
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => { stdout += d })
  child.stderr.on('data', (d) => { stderr += d })
  if (stdin) child.stdin.end(JSON.stringify(steps))
  else child.stdin.end()
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(killer)
      resolve({ code, stdout, stderr, lines: stdout.split('\n').filter((l) => l !== '') })
    })
  })
}

// ------------------------------------------------------------ checks

let passed = 0
let failed = 0
function check (name, cond, detail = '') {
  if (cond) { passed++; console.log(`ok   ${name}`) } else { failed++; console.log(`FAIL ${name}${detail ? '\n     ' + detail : ''}`) }
}

const { server, wss, port } = await startServer()
const base = `ws://127.0.0.1:${port}/ws`
console.log(`reference y-websocket server on ${base}`)

const A = [
  { op: 'wait_synced' },
  { op: 'set_meta', key: 'title', value: 'Selfcheck' },
  { op: 'set_meta', key: 'created_at', value: 1700000000000 },
  { op: 'set_awareness', state: { user: { name: 'A', color: '#f00' }, cursor: [1, 2] } },
  { op: 'create_note', id: 'n1', x: 10, y: 20, text: 'hello', color: 'yellow' },
  { op: 'create_note', id: 'n2', x: 300.5, y: -40, text: 'bye', color: 'blue', tags: ['t1'] },
  { op: 'wait_for_text', id: 'n1', text: 'hello world' }, // B types " world"
  { op: 'wait_for_awareness', count: 2 }, // B and C (both still running: they wait for us)
  { op: 'dump_awareness' },
  { op: 'move', id: 'n1', x: 15, y: 25 },
  { op: 'delete_text', id: 'n1', index: 0, len: 1 }, // "ello world"
  { op: 'insert_text', id: 'n1', index: 0, text: 'H' }, // "Hello world"
  { op: 'wait_for', items: 1 }, // B deletes n2
  { op: 'wait_for_meta', key: 'done_b', value: true },
  { op: 'dump' }
]
const B = [
  { op: 'wait_synced' },
  { op: 'set_awareness', state: { user: { name: 'B' } } },
  { op: 'wait_for', items: 2 },
  { op: 'wait_for_text', id: 'n1', text: 'hello' },
  { op: 'insert_text', id: 'n1', index: 5, text: ' world' },
  { op: 'wait_for_field', id: 'n1', key: 'pos', value: [15, 25] },
  { op: 'wait_for_text', id: 'n1', text: 'Hello world' },
  { op: 'delete', id: 'n2' },
  { op: 'wait_for_awareness', count: 2 }, // A and C
  { op: 'sleep', ms: 100 },
  { op: 'set_meta', key: 'done_b', value: true },
  { op: 'dump_awareness' },
  { op: 'dump' }
]
// C reads its script from stdin, only observes.
const C = [
  { op: 'wait_synced' },
  { op: 'set_awareness', state: { user: { name: 'C' } } },
  { op: 'wait_for_meta', key: 'done_b', value: true },
  { op: 'wait_for', items: 1 },
  { op: 'dump' }
]
// D is on another board: must see nothing of the first one.
const D = [
  { op: 'wait_synced' },
  { op: 'sleep', ms: 1500 },
  { op: 'dump' }
]

const t0 = Date.now()
const [ra, rb, rc, rd] = await Promise.all([
  runClient(base, 'board-1', A),
  runClient(base, 'board-1', B),
  runClient(base, 'board-1', C, { stdin: true }),
  runClient(base, 'board-2', D)
])
console.log(`clients A, B, C (stdin), D finished in ${Date.now() - t0} ms`)
for (const [name, r] of [['A', ra], ['B', rb], ['C', rc], ['D', rd]]) {
  check(`client ${name} exits 0`, r.code === 0, `code=${r.code} stderr=${r.stderr.trim()}`)
}
check('A prints exactly 2 lines (awareness, dump)', ra.lines.length === 2, ra.stdout)
check('B prints exactly 2 lines (awareness, dump)', rb.lines.length === 2, rb.stdout)
check('C prints exactly 1 line', rc.lines.length === 1, rc.stdout)

const parse = (l) => { try { return JSON.parse(l) } catch (e) { return { parseError: e.message, line: l } } }
const dumpA = ra.lines[1]
const dumpB = rb.lines[1]
const dumpC = rc.lines[0]
console.log(`A dump: ${dumpA}`)
console.log(`B dump: ${dumpB}`)
console.log(`C dump: ${dumpC}`)
console.log(`D dump: ${rd.lines[0]}`)
check('dump A == dump B (byte-identical line)', dumpA === dumpB)
check('dump A == dump C (byte-identical line)', dumpA === dumpC)

const d = parse(dumpA || '{}')
const n1 = d.items && d.items.n1
check('final items are exactly [n1]', d.items && JSON.stringify(Object.keys(d.items)) === '["n1"]', dumpA)
check('n1 has exactly the schema keys (sorted)', n1 && JSON.stringify(Object.keys(n1)) ===
  JSON.stringify(['author', 'color', 'created_at', 'kind', 'pos', 'size', 'tags', 'text', 'z']))
check('n1 values', n1 && n1.kind === 'note' && JSON.stringify(n1.pos) === '[15,25]' &&
  JSON.stringify(n1.size) === '[200,200]' && n1.text === 'Hello world' && n1.color === 'yellow' &&
  JSON.stringify(n1.tags) === '[]' && n1.author === 'js' && typeof n1.created_at === 'number' &&
  Math.abs(n1.created_at - Date.now()) < 120_000 && n1.z === 'a0', JSON.stringify(n1))
check('meta', d.meta && d.meta.title === 'Selfcheck' && d.meta.created_at === 1700000000000 &&
  d.meta.done_b === true, JSON.stringify(d.meta))
check('board-2 is isolated (empty dump)', rd.lines.length === 1 && rd.lines[0] === '{"items":{},"meta":{}}', rd.stdout)

const awA = parse(ra.lines[0] || '[]')
const awB = parse(rb.lines[0] || '[]')
check('A sees B and C awareness', JSON.stringify(awA) === '[{"user":{"name":"B"}},{"user":{"name":"C"}}]', ra.lines[0])
check('B sees A and C awareness (keys sorted)', JSON.stringify(awB) ===
  '[{"cursor":[1,2],"user":{"color":"#f00","name":"A"}},{"user":{"name":"C"}}]', rb.lines[0])

// Errors: unknown op, bad step, unreachable server -> exit 1, nothing on stdout.
const bad = await runClient(base, 'board-3', [{ op: 'wait_synced' }, { op: 'frobnicate' }])
check('unknown op -> exit 1, message on stderr, empty stdout',
  bad.code === 1 && bad.stdout === '' && /unknown op "frobnicate"/.test(bad.stderr), JSON.stringify(bad))
const missing = await runClient(base, 'board-3', [{ op: 'wait_synced' }, { op: 'move', id: 'nope', x: 1, y: 2 }])
check('move of missing item -> exit 1', missing.code === 1 && /no item "nope"/.test(missing.stderr), JSON.stringify(missing))
const waitFail = await runClient(base, 'board-3', [{ op: 'wait_synced' }, { op: 'wait_for', items: 5, timeout_ms: 300 }])
check('wait_for timeout -> exit 1', waitFail.code === 1 && /timeout after 300 ms/.test(waitFail.stderr), JSON.stringify(waitFail))

// A port with nothing listening: grab one, close it.
const dead = await new Promise((resolve) => {
  const s = http.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)) })
})
const t1 = Date.now()
const unreachable = await runClient(`ws://127.0.0.1:${dead}/ws`, 'x', [{ op: 'wait_synced' }])
const took = Date.now() - t1
check(`wait_synced default timeout against dead port -> exit 1 after ~10 s (took ${took} ms)`,
  unreachable.code === 1 && unreachable.stdout === '' && /timeout after 10000 ms/.test(unreachable.stderr) &&
  took >= 9_500 && took < 20_000, JSON.stringify(unreachable))

// ------------------------------------------------------------ teardown
for (const c of wss.clients) c.terminate()
wss.close()
server.close()
fs.rmSync(tmp, { recursive: true, force: true })
console.log(`selfcheck: ${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
