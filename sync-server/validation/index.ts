import type * as Y from 'yjs'
import { changedItemIds, unpublishedEntries } from '../../common/doc/curation-doc'
import { checkCampaigns, checkItems, type Repair, SchemaRefusal } from './items'
import { checkChallenges, checkSettings } from './recognition'

export { type Dropped, dropPending } from './integrity'
export { type Repair, SchemaRefusal } from './items'

/**
 * Per document (by name), which root maps hold schema'd entries. The item shape is the same in
 * every document that holds items (`queue`, and `curation` for drafts and proposals), so they
 * share one rule. Documents not listed (the relay-written `directory`) get no schema check.
 */
const RULES: Record<
  string,
  { items?: true; campaigns?: true; settings?: true; challenges?: true }
> = {
  // settings (point weights, CPC/CPM) and challenges: issue 9, common/doc/queue-doc.ts.
  queue: { items: true, campaigns: true, settings: true, challenges: true },
  curation: { items: true },
}

/** Define the doc's schema'd root maps once, so their instances stay the ones updates touch. */
export function prepareDoc(docName: string, doc: Y.Doc): void {
  const rule = RULES[docName]
  if (rule?.items) doc.getMap('items')
  if (rule?.campaigns) doc.getMap('campaigns')
  if (rule?.settings) doc.getMap('settings')
  if (rule?.challenges) doc.getMap('challenges')
}

/**
 * Run inside the transaction that applied a champion's update, before it is stored: repairs
 * what can be repaired (in the same transaction), throws SchemaRefusal for what cannot.
 */
export function checkSchema(docName: string, doc: Y.Doc, tr: Y.Transaction): Repair[] {
  const rule = RULES[docName]
  const repairs: Repair[] = []
  if (!rule || tr.changed.size === 0) return repairs
  // Only the schema'd roots the transaction touched are checked: a keystroke in one item's
  // caption checks that item, and a change elsewhere checks nothing (issue 11.3).
  const touched = touchedRoots(tr)
  const checks = (name: string) => touched === null || touched.has(doc.share.get(name))
  // prepareDoc made them Y.Maps at load, before any update could create them as plain types.
  const items = rule.items === true && checks('items')
  if (items) checkItems(doc.getMap('items'), tr, (repair) => repairs.push(repair))
  if (rule.campaigns && checks('campaigns')) checkCampaigns(doc.getMap('campaigns'), tr)
  if (rule.settings && checks('settings')) checkSettings(doc.getMap('settings'), tr)
  if (rule.challenges && checks('challenges')) checkChallenges(doc.getMap('challenges'), tr)
  // Every member syncs the queue: only published items may be in it (the rest is curation's).
  if (docName === 'queue' && items) {
    const unpublished = unpublishedEntries(doc, changedItemIds(tr, doc))
    if (unpublished.length > 0) {
      throw new SchemaRefusal(
        `the queue holds published items only (${unpublished.slice(0, 3).join(', ')}): drafts, proposals and archived items go to curation`,
      )
    }
  }
  return repairs
}

/** A shared type, seen only through where it sits in the doc. */
export type Placed = { _item: { parent: unknown } | null }

/**
 * The root types under which `tr` changed something, or null if one change could not be placed
 * (then every rule is checked, as before). Also the relay's change gates (Room's touchesRoots).
 */
export function touchedRoots(tr: Y.Transaction): Set<unknown> | null {
  const roots = new Set<unknown>()
  for (const type of tr.changed.keys()) {
    let current = type as unknown as Placed
    while (current._item !== null) {
      const parent = current._item.parent
      if (parent === null || typeof parent !== 'object' || !('_item' in parent)) return null
      current = parent as Placed
    }
    roots.add(current)
  }
  return roots
}
