import { create } from 'zustand'
import type {
  AccountExport,
  CoreStatus,
  QueueEntry,
  Settings,
  ShareOutcome,
} from '../../../common/contract/api'
import type { CoreClient } from '../../../common/contract/client'
import type { Network } from '../../../common/model/networks'
import type { NewProposal, PersonalStats, ProposalView } from '../../../common/model/share'
import { FIRST_SCREEN } from '../boot'
import {
  type Language,
  type MessageKey,
  type PluralKey,
  translate,
  translatePlural,
  type Vars,
} from '../i18n/messages'
import { type Described, describeError, localiseVars } from './errors'
import { draftKey, type QueueFilterState, resolveLanguage } from './logic'

export type View = 'queue' | 'propose' | 'stats' | 'settings'

export type ShareResult =
  | { kind: 'done'; outcome: ShareOutcome; copied: boolean }
  | { kind: 'error'; problem: Described }

type State = {
  client: CoreClient | null
  status: CoreStatus | null
  settings: Settings | null
  queue: QueueEntry[]
  /** False until the first queue answer, so "empty" is not flashed while loading. */
  queueLoaded: boolean
  /** True while only the first screen of the queue is in (the rest follows, after it is painted). */
  queuePartial?: boolean
  stats: PersonalStats | null
  proposals: ProposalView[]
  pendingOutbox: number
  view: View
  filter: QueueFilterState
  selectedId: string | null
  /** The network tab last chosen in the item view (kept across a trip to Settings). */
  network: Network | null
  /** Captions as the person edited them, per item and network; never thrown away on error. */
  drafts: Record<string, string>
  sharing: Record<string, boolean>
  shareResults: Record<string, ShareResult>
  /** A failed load, in words (never the core's own text). */
  error: Described | null
  /** Why the last join was refused; cleared when the link changes. */
  joinError: Described | null
  clearJoinError(): void
  /** `early`: the first screen's requests, already sent (boot.ts); else they are sent here. */
  connect(client: CoreClient, early?: EarlyAnswers): Promise<void>
  refreshQueue(): Promise<void>
  refreshMine(): Promise<void>
  join(invitation: string): Promise<void>
  /** An invitation opened from the OS, waiting for the person to confirm it. */
  offeredInvitation: string | null
  offerInvitation(link: string | null): void
  setFilter(filter: Partial<QueueFilterState>): void
  select(id: string | null): void
  chooseNetwork(network: Network): void
  setView(view: View): void
  setDraft(itemId: string, network: Network, text: string): void
  resetDraft(itemId: string, network: Network): void
  share(itemId: string, network: Network): Promise<void>
  /** Resolves with whether it waits for the network (the popover says "will be sent"). */
  propose(proposal: NewProposal): Promise<{ queued: boolean }>
  saveSettings(patch: Partial<Settings>): Promise<void>
  clearError(): void
  /** Said once on the join view after leaving (what was kept, what was deleted). */
  notice: Described | null
  leave(): Promise<void>
  /** localOnly: the relay could not be reached and the person chose this device only. */
  leaveAndDelete(localOnly?: boolean): Promise<void>
  exportData(): Promise<AccountExport>
}

/**
 * Coalesce refreshes: events can come in bursts (a champion typing), so at most one request is
 * in flight and one more follows if something changed meanwhile.
 */
function coalesced(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null
  let again = false
  const loop = async () => {
    do {
      again = false
      await run()
    } while (again)
    running = null
  }
  return () => {
    if (running) {
      again = true
      return running
    }
    running = loop()
    return running
  }
}

/** The first screen's answers, when its requests were sent before the store existed (boot.ts). */
export type EarlyAnswers = {
  firstScreen: Promise<QueueEntry[]>
  status: Promise<CoreStatus>
  settings: Promise<Settings>
}

/**
 * Resolves once the browser has painted what was just committed (now, where there is no frame:
 * a hidden window, like the app's popover once it has been closed, gets no animation frames, and
 * the rest of the queue must not wait for the person to open it).
 */
const nextPaint = () =>
  new Promise<void>((done) => {
    if (typeof requestAnimationFrame !== 'function') return done()
    if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return done()
    requestAnimationFrame(() => setTimeout(done, 0))
  })

const isNotJoined = (error: unknown) =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'not_joined'

export const useStore = create<State>((set, get, store) => {
  /** Resolves once the first answer about the queue is in and painted (the first screen). */
  const firstScreenShown = () =>
    new Promise<void>((done) => {
      if (get().queueLoaded) return done()
      const off = store.subscribe((state) => {
        if (!state.queueLoaded) return
        off()
        done()
      })
    }).then(nextPaint)

  /** The first screen, asked for together with the status when the window connects. */
  let firstScreen: Promise<QueueEntry[] | null> | null = null

  const loadQueue = coalesced(async () => {
    const { client, status } = get()
    if (!client || !status?.session) return
    try {
      // Opening: the first screen first (a small message, a short list to lay out), painted
      // before the whole queue is asked for.
      if (!get().queueLoaded) {
        const early = firstScreen
        firstScreen = null
        const first =
          (early ? await early : null) ??
          (await client.call('queue.forMe', { limit: FIRST_SCREEN }))
        const partial = first.length === FIRST_SCREEN
        set({ queue: first, queueLoaded: true, queuePartial: partial, error: null })
        if (!partial) return
        await nextPaint()
      } else if (get().queuePartial) {
        // The first screen came with the status (connect): the rest once it is painted.
        await nextPaint()
      }
      const queue = await client.call('queue.forMe', {})
      set({ queue, queueLoaded: true, queuePartial: false, error: null })
    } catch (error) {
      // Left meanwhile (or a join was refused while this was in flight): nothing to report.
      if (!get().status?.session || isNotJoined(error)) {
        return set({ queueLoaded: true, queuePartial: false })
      }
      set({ error: describeError(error, 'load'), queueLoaded: true, queuePartial: false })
    }
  })

  const loadMine = coalesced(async () => {
    const { client, status } = get()
    if (!client || !status?.session) return
    // Independent: a failure of one (e.g. while the core is upgrading) leaves the other shown.
    const [stats, proposals] = await Promise.allSettled([
      client.call('stats.mine', {}),
      client.call('proposal.listMine', {}),
    ])
    if (stats.status === 'fulfilled') set({ stats: stats.value })
    if (proposals.status === 'fulfilled') set({ proposals: proposals.value })
  })

  /** What the person had open belongs to the workspace just left. */
  const afterLeaving = async (notice: Described) => {
    const { client } = get()
    if (!client) return
    const [status, settings] = await Promise.all([
      client.call('status.get', {}),
      client.call('settings.get', {}),
    ])
    set({
      status,
      settings,
      notice,
      queue: [],
      queueLoaded: false,
      proposals: [],
      selectedId: null,
      drafts: {},
      shareResults: {},
      view: 'queue',
      error: null,
    })
    await get().refreshMine()
  }

  return {
    client: null,
    status: null,
    settings: null,
    queue: [],
    queueLoaded: false,
    stats: null,
    proposals: [],
    pendingOutbox: 0,
    view: 'queue',
    filter: { objective: null, topic: null },
    selectedId: null,
    network: null,
    drafts: {},
    sharing: {},
    shareResults: {},
    error: null,

    async connect(client, given) {
      set({ client })
      client.on('status', (status) => {
        const before = get().status?.session?.memberId
        set({ status })
        // Joined (or re-joined as someone else) from another window: load what is now ours.
        if (status.session && status.session.memberId !== before) {
          void get().refreshQueue()
          void get().refreshMine()
        }
      })
      // Theme and language changed in another window (the studio, another popover): follow.
      client.on('settings.changed', (settings) => set({ settings }))
      client.on('queue.changed', () => {
        void get().refreshQueue()
        // A champion's decision on my proposal arrives with the queue.
        if (get().proposals.some((p) => p.state === 'pending' || p.state === 'sending')) {
          void get().refreshMine()
        }
      })
      client.on('mine.changed', ({ pendingOutbox, sharesChanged }) => {
        set({ pendingOutbox })
        void get().refreshMine()
        // Shares change the ranking and the "shared" marks; an outbox delivery changes neither.
        if (sharesChanged) void get().refreshQueue()
      })
      // Asked for with the status rather than after it (one round trip less before the first
      // rows); not joined, it fails and is forgotten.
      const early = (
        given?.firstScreen ?? client.call('queue.forMe', { limit: FIRST_SCREEN })
      ).catch((): QueueEntry[] | null => null)
      firstScreen = early
      const [status, settings, first] = await Promise.all([
        given?.status ?? client.call('status.get', {}),
        given?.settings ?? client.call('settings.get', {}),
        early,
      ])
      // One commit for the whole first screen (status bar, tabs and rows), not one for the
      // shell and another for its rows a microtask later (issue 7.8: answer → paint).
      const shown = Boolean(status.session) && first !== null && firstScreen === early
      if (shown) {
        firstScreen = null
        set({
          status,
          settings,
          queue: first,
          queueLoaded: true,
          queuePartial: first.length === FIRST_SCREEN,
          error: null,
        })
      } else set({ status, settings })
      // My stats and proposals are not on the first screen: asked for once it is painted, so
      // their answers are not parsed and rendered before it.
      const mineAfter = status.session ? firstScreenShown() : Promise.resolve()
      // The rest of the queue (if the first screen was not all of it).
      const rest = shown && !get().queuePartial ? Promise.resolve() : get().refreshQueue()
      await Promise.all([rest, mineAfter.then(() => get().refreshMine())])
    },

    refreshQueue: loadQueue,
    refreshMine: loadMine,

    offeredInvitation: null,

    offerInvitation(link) {
      set({ offeredInvitation: link, joinError: null })
    },

    async join(invitation) {
      const { client } = get()
      if (!client) return
      try {
        await client.call('workspace.join', { invitation })
        set({ offeredInvitation: null, notice: null })
        set({ status: await client.call('status.get', {}), joinError: null, error: null })
        await Promise.all([get().refreshQueue(), get().refreshMine()])
      } catch (error) {
        // A refused first join leaves its reason in the status as a Problem code.
        const status = await client.call('status.get', {}).catch(() => null)
        const refusal = status && !status.session && status.problem ? status.problem : null
        set({
          joinError: refusal
            ? describeError({ problem: refusal }, 'join')
            : describeError(error, 'join'),
        })
        throw error
      }
    },

    setFilter(filter) {
      set({ filter: { ...get().filter, ...filter } })
    },

    select(selectedId) {
      set({ selectedId })
    },

    chooseNetwork(network) {
      set({ network })
    },

    setView(view) {
      // The selected item is kept: back from Settings, the person finds their caption as left.
      set({ view })
    },

    setDraft(itemId, network, text) {
      set({ drafts: { ...get().drafts, [draftKey(itemId, network)]: text } })
    },

    resetDraft(itemId, network) {
      const drafts = { ...get().drafts }
      delete drafts[draftKey(itemId, network)]
      const shareResults = { ...get().shareResults }
      delete shareResults[draftKey(itemId, network)]
      set({ drafts, shareResults })
    },

    async share(itemId, network) {
      const { client, queue, drafts } = get()
      const entry = queue.find((candidate) => candidate.item.id === itemId)
      if (!client || !entry) return
      const key = draftKey(itemId, network)
      const text = drafts[key] ?? entry.suggested[network] ?? ''
      const withoutResult = { ...get().shareResults }
      delete withoutResult[key]
      set({ sharing: { ...get().sharing, [key]: true }, shareResults: withoutResult })
      let result: ShareResult
      // Copy first, while this window has focus: the core then opens the browser, which takes it.
      const copy = async (value: string) => {
        try {
          await navigator.clipboard.writeText(value)
          return true
        } catch {
          return false
        }
      }
      let copied = await copy(text)
      try {
        const outcome = await client.call('share.perform', { itemId, network, text })
        if (outcome.clipboardText !== text) copied = await copy(outcome.clipboardText)
        result = { kind: 'done', outcome, copied }
        // In the app the popover steps aside for the network's page.
        window.porteVoix?.hidePopover()
        // Mark it shared at once; the refreshed queue confirms it.
        set({
          queue: get().queue.map((candidate) =>
            candidate.item.id === itemId && !candidate.sharedOn.includes(network)
              ? { ...candidate, sharedOn: [...candidate.sharedOn, network] }
              : candidate,
          ),
        })
        void get().refreshMine()
      } catch (error) {
        result = { kind: 'error', problem: describeError(error, 'share') }
      }
      set({
        sharing: { ...get().sharing, [key]: false },
        shareResults: { ...get().shareResults, [key]: result },
      })
    },

    async propose(proposal) {
      const { client, status } = get()
      if (!client) return { queued: false }
      const queued = status?.sync !== 'synced'
      const created = await client.call('proposal.create', proposal)
      // Show it at once; the list from the core follows.
      set({ proposals: [created, ...get().proposals.filter((p) => p.id !== created.id)] })
      void get().refreshMine()
      return { queued }
    },

    async saveSettings(patch) {
      const { client } = get()
      if (!client) return
      const settings = await client.call('settings.update', patch)
      set({ settings })
      // The time zone changes what "today" means.
      void get().refreshMine()
    },

    clearError() {
      set({ error: null })
    },

    joinError: null,

    clearJoinError() {
      set({ joinError: null })
    },

    notice: null,

    async leave() {
      const { client } = get()
      if (!client) return
      await client.call('workspace.leave', {})
      await afterLeaving({ key: 'account.left' })
    },

    async leaveAndDelete(localOnly = false) {
      const { client } = get()
      if (!client) return
      const { relayDeleted } = await client.call(
        'account.leaveAndDelete',
        localOnly ? { localOnly } : {},
      )
      await afterLeaving({ key: relayDeleted ? 'account.deletedAll' : 'account.deletedLocal' })
    },

    async exportData() {
      const { client } = get()
      if (!client) throw new Error('not connected')
      return client.call('account.export', {})
    },
  }
})

/** The active language: the setting, or the system's. */
export function useLanguage(): Language {
  const setting = useStore((state) => state.settings?.language)
  return resolveLanguage(setting, navigator.languages)
}

export type Translate = ((key: MessageKey, vars?: Vars) => string) & {
  plural(key: PluralKey, n: number, vars?: Vars): string
  /** A described error or notice, its dates in the person's locale. */
  say(described: Described): string
}

export function useT(): Translate {
  const language = useLanguage()
  const t = (key: MessageKey, vars?: Vars) => translate(language, key, vars)
  return Object.assign(t, {
    plural: (key: PluralKey, n: number, vars?: Vars) => translatePlural(language, key, n, vars),
    say: (described: Described) =>
      translate(language, described.key, localiseVars(described.vars, language)),
  })
}
