// Hocuspocus (npm @hocuspocus/server, pinned in package.json) for Huddle's side-by-side load
// runs: in memory (no persistence extension), on 127.0.0.1 at the port in $PORT. Started by
// `cargo xtask bench -- ... --server hocuspocus`; prints one line once it listens.
import { Server } from '@hocuspocus/server'

const port = Number(process.env.PORT)
if (!Number.isInteger(port) || port <= 0) {
  console.error('hocuspocus.mjs: set PORT to the port to listen on')
  process.exit(2)
}
const server = Server.configure({ address: '127.0.0.1', port, quiet: true })
await server.listen()
console.log(`hocuspocus listening on 127.0.0.1:${port}`)
