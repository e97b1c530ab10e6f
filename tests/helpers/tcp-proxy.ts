import { type AddressInfo, createServer, type Socket, connect as tcpConnect } from 'node:net'

/**
 * A TCP proxy in front of a relay (its `ws://` URL in `url`): it counts the connections it
 * accepted and the bytes it forwarded to the client, can cut every open connection (a network
 * change: the client reconnects), and can go silent — open connections stay open but nothing is
 * forwarded either way (a dead route), and new connections are dropped at once.
 */
export async function tcpProxy(target: URL) {
  let silent = false
  let accepted = 0
  let down = 0
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    if (silent) return void client.destroy()
    accepted++
    const upstream = tcpConnect(Number(target.port), target.hostname)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => {})
      s.on('close', () => sockets.delete(s))
    }
    client.on('data', (chunk) => !silent && upstream.write(chunk))
    upstream.on('data', (chunk) => {
      if (silent) return
      down += chunk.byteLength
      client.write(chunk)
    })
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Bytes forwarded from the relay to the client so far. */
    down: () => down,
    accepted: () => accepted,
    setSilent: (value: boolean) => {
      silent = value
    },
    cut: () => {
      for (const s of sockets) s.destroy()
    },
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
