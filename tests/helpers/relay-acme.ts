import { afterAll, beforeAll } from 'vitest'
import { type RelayProcess, startRelay, stopRelay } from './relay'

/**
 * A relay started before the tests of the file (or describe block) that calls this, with one
 * workspace, Acme; stopped after them and its data dir removed. Read `relay` and `acme` in the
 * tests (they are set once beforeAll ran).
 */
export function relayWithAcme(): { readonly relay: RelayProcess; readonly acme: string } {
  let relay: RelayProcess | undefined
  let acme: string | undefined
  beforeAll(async () => {
    relay = await startRelay()
    acme = await relay.createWorkspace('Acme')
  })
  afterAll(async () => {
    await stopRelay(relay)
  })
  return {
    get relay() {
      if (!relay) throw new Error('the relay is not started (read it inside a test)')
      return relay
    },
    get acme() {
      if (acme === undefined)
        throw new Error('the workspace is not created (read it inside a test)')
      return acme
    },
  }
}
