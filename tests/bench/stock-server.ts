/**
 * The reference for the relay benchmarks: the stock `@y/websocket-server` 0.1.1 in its own
 * process, as its README runs it (setupWSConnection on a ws server, in-memory documents, no
 * auth, no persistence). `node --import tsx tests/bench/stock-server.ts [port]`; prints
 * "stock y-websocket-server listening on ws://127.0.0.1:PORT" once listening, exits on SIGTERM.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setupWSConnection } from '@y/websocket-server/utils'
import { WebSocketServer } from 'ws'

const port = Number(process.argv[2] ?? 0)
const wss = new WebSocketServer({ noServer: true })
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' })
  res.end('okay')
})
wss.on('connection', setupWSConnection)
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
})
server.listen(port, '127.0.0.1', () => {
  const { port: bound } = server.address() as AddressInfo
  process.stdout.write(`stock y-websocket-server listening on ws://127.0.0.1:${bound}\n`)
})
process.on('SIGTERM', () => process.exit(0))
