import { connect, createServer, type Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { peerAddress } from '../../sync-server/http/server'

// The `connection accepted` line names the peer; `socket.remoteAddress` would cache an object and
// a string on every live socket for its whole life (idle memory, issue 11.3).
describe('peerAddress', () => {
  it('reads the peer address as remoteAddress does, without caching it on the socket', async () => {
    const clients: Socket[] = []
    const accepted = new Promise<Socket>((done) => {
      const server = createServer((socket) => {
        server.close()
        done(socket)
      })
      server.listen(0, '127.0.0.1', () => {
        const address = server.address()
        if (typeof address === 'object' && address) clients.push(connect(address.port, '127.0.0.1'))
      })
    })
    const socket = await accepted
    try {
      expect(peerAddress(socket)).toBe('127.0.0.1')
      expect(Object.hasOwn(socket, '_peername')).toBe(false)
      expect(socket.remoteAddress).toBe('127.0.0.1')
      // The getter it avoids does cache (what the test guards against coming back).
      expect(Object.hasOwn(socket, '_peername')).toBe(true)
    } finally {
      socket.destroy()
      for (const client of clients) client.destroy()
    }
  })
})
