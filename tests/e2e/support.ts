import * as encoding from 'lib0/encoding'
import type { Page } from 'playwright-core'
import * as syncProtocol from 'y-protocols/sync'
import type { CoreClient } from '../../common/contract/client'
import { toBase64 } from '../../common/contract/messages'
import { openReplica } from '../helpers/replica'

/** What the e2e suites do the same way in the windows and next to them. */

export const WAIT = { timeout: 20_000 }

/** In the studio: Items, then the item titled `title` open in the editor. */
export async function openStudioItem(page: Page, title: string): Promise<void> {
  await page.getByTestId('nav-items').click()
  await page.getByTestId('studio-item').filter({ hasText: title }).first().click(WAIT)
  await page.getByTestId('item-editor').waitFor(WAIT)
}

/** Paste `text` at the end of a CodeMirror editor the way a browser does (a paste event). */
export async function paste(page: Page, testId: string, text: string): Promise<void> {
  await page.getByTestId(testId).click()
  await page.keyboard.press('Control+End')
  await page.getByTestId(testId).evaluate((element, data) => {
    const transfer = new DataTransfer()
    transfer.setData('text/plain', data)
    element.dispatchEvent(
      new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }),
    )
  }, text)
}

/**
 * A window writing straight into the core's queue document, as a faulty champion's window
 * could: its replica's local changes go to the core as sync updates, unchecked by any UI.
 */
export function rawWriter(client: CoreClient) {
  const replica = openReplica(client, 'queue')
  replica.doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin === 'core') return
    const encoder = encoding.createEncoder()
    syncProtocol.writeUpdate(encoder, update)
    client.send({ t: 'doc', doc: 'queue', data: toBase64(encoding.toUint8Array(encoder)) })
  })
  return replica
}
