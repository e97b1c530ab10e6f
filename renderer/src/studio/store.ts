import { create } from 'zustand'
import type { CoreStatus, FeedSourceView, Settings } from '../../../common/contract/api'
import type { CoreClient } from '../../../common/contract/client'
import type { Problem } from '../../../common/contract/problems'
import { WindowReplica } from '../../../common/contract/replica'
import type { DocName } from '../../../common/doc/rooms'
import { formatNumber } from '../../../common/format/typography'
import { type Board, type BoardItem, EMPTY_BOARD } from '../../../common/model/board'
import type { Campaign, NewCampaign } from '../../../common/model/campaign'
import type {
  Item,
  ItemPatch,
  ItemStatus,
  NewItem,
  Objective,
  SourceKind,
} from '../../../common/model/item'
import { canCurate, type Member } from '../../../common/model/member'
import type {
  Challenge,
  ChallengePatch,
  NewChallenge,
  WorkspaceSettings,
} from '../../../common/model/recognition'
import {
  type StudioLanguage,
  type StudioMessageKey,
  studioDictionaries,
  studioSystemLanguage,
} from '../i18n/studio-messages'
import { presenceFor } from './presence'

export type StudioView = 'items' | 'review' | 'campaigns' | 'results' | 'recognition' | 'feeds'

/** A campaign's conversion key, as the relay minted it: shown once, never fetched again. */
export type ConversionKey = { campaignId: string; key: string; endpoint: string }

export type ItemFilter = {
  search: string
  status: ItemStatus | null
  objective: Objective | null
  topic: string | null
  campaignId: string | null
  sourceKind: SourceKind | null
}

type StudioState = {
  client: CoreClient | null
  status: CoreStatus | null
  language: StudioLanguage
  /** The Theme setting ('system' follows the OS); applied to the document by StudioApp. */
  theme: Settings['theme']
  /** The Time zone setting (null: the system's), for days left as the popover counts them. */
  timeZone: string | null
  /** The window's own replica of the queue document, for collaborative text editing. */
  replica: WindowReplica | null
  /** The replica has received the core's state: texts that exist are in it. */
  replicaSynced: boolean
  /**
   * The replica of the curation document (drafts, proposals, archive): items live in the queue
   * only once published, so an item's texts are edited in the replica of its status's document.
   */
  curationReplica: WindowReplica | null
  curationSynced: boolean
  items: Item[]
  /** Every item (unfiltered), for topics, campaign attachments and the review count. */
  allItems: Item[]
  campaigns: Campaign[]
  members: Member[]
  feeds: FeedSourceView[]
  /** The team's results (the relay's board document, as the core last synced it). */
  board: Board
  /** The board's items by id, for the counts beside each item in the lists. */
  boardItems: Record<string, BoardItem>
  /** Point weights and CPC/CPM (null until the core answered). */
  workspaceSettings: WorkspaceSettings | null
  challenges: Challenge[]
  filter: ItemFilter
  view: StudioView
  selectedId: string | null
  polling: boolean
  error: string | null
  /** A change of mine the core refused (and that was discarded), until dismissed. */
  refused: { doc: DocName; problem: Problem } | null
  connect(client: CoreClient): Promise<void>
  refresh(): Promise<void>
  setView(view: StudioView): void
  setFilter(filter: Partial<ItemFilter>): void
  select(id: string | null): void
  createItem(item: NewItem): Promise<Item | null>
  /** Resolves true when the core accepted the change (a refusal is shown in the banner). */
  updateItem(id: string, patch: ItemPatch): Promise<boolean>
  approve(id: string, publish: boolean): Promise<void>
  reject(id: string, reason: string): Promise<boolean>
  createCampaign(campaign: NewCampaign): Promise<Campaign | null>
  updateCampaign(id: string, patch: Partial<NewCampaign>): Promise<boolean>
  createConversionKey(campaignId: string): Promise<ConversionKey | null>
  saveWorkspaceSettings(patch: Partial<WorkspaceSettings>): Promise<boolean>
  createChallenge(challenge: NewChallenge): Promise<boolean>
  updateChallenge(id: string, patch: ChallengePatch): Promise<boolean>
  removeChallenge(id: string): Promise<void>
  refreshBoard(): Promise<void>
  addFeed(url: string): Promise<boolean>
  removeFeed(id: string): Promise<void>
  pollFeeds(): Promise<void>
  clearError(): void
  clearRefused(): void
  /** Drop the change the relay refused: the core resyncs that document, the replicas restart. */
  discardRelayRefused(): Promise<void>
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error))

const EMPTY_FILTER: ItemFilter = {
  search: '',
  status: null,
  objective: null,
  topic: null,
  campaignId: null,
  sourceKind: null,
}

/** What the window's replica depends on: workspace, member and role. */
function sessionKey(status: CoreStatus | null): string {
  const session = status?.session
  return session ? JSON.stringify([session.workspaceId, session.memberId, session.role]) : ''
}

function fromSettings(settings: Settings): Pick<StudioState, 'language' | 'theme' | 'timeZone'> {
  return {
    language:
      settings.language === 'system'
        ? studioSystemLanguage(navigator.languages)
        : settings.language,
    theme: settings.theme,
    timeZone: settings.timeZone,
  }
}

function isCurator(status: CoreStatus | null): boolean {
  return status?.session ? canCurate(status.session.role) : false
}

export const useStudio = create<StudioState>((set, get) => {
  /** Run a contract call; its error becomes the banner instead of an unhandled rejection. */
  async function attempt<T>(run: (client: CoreClient) => Promise<T>): Promise<T | null> {
    const { client } = get()
    if (!client) return null
    try {
      return await run(client)
    } catch (error) {
      set({ error: errorMessage(error) })
      return null
    }
  }

  /**
   * Open (or drop) the replica to match the session: only curators edit collaboratively.
   * `reset` replaces an open replica (another workspace, member or role: the core's side of the
   * replica was reset, so it must handshake again).
   */
  function syncReplica(reset = false): void {
    const { client, status } = get()
    let { replica, curationReplica } = get()
    const wanted = client !== null && isCurator(status)
    if (replica && (reset || !wanted)) {
      replica.destroy()
      replica = null
      set({ replica: null, replicaSynced: false })
    }
    if (curationReplica && (reset || !wanted)) {
      curationReplica.destroy()
      curationReplica = null
      set({ curationReplica: null, curationSynced: false })
    }
    if (wanted && !replica && client && status?.session) {
      const next = new WindowReplica(client, 'queue')
      next.awareness.setLocalStateField('user', presenceFor(status.session))
      next.awareness.setLocalStateField('editing', get().selectedId)
      set({ replica: next, replicaSynced: false })
      void next.whenSynced().then(() => {
        if (get().replica === next) set({ replicaSynced: true })
      })
    }
    if (wanted && !curationReplica && client && status?.session) {
      const next = new WindowReplica(client, 'curation')
      next.awareness.setLocalStateField('user', presenceFor(status.session))
      next.awareness.setLocalStateField('editing', get().selectedId)
      set({ curationReplica: next, curationSynced: false })
      void next.whenSynced().then(() => {
        if (get().curationReplica === next) set({ curationSynced: true })
      })
    }
  }

  let refreshTimer: ReturnType<typeof setTimeout> | null = null
  /**
   * A burst of queue.changed events (a colleague typing) becomes one refresh per 250 ms: with a
   * thousand items each refresh moves and validates a few MB, so it must not run per keystroke.
   */
  function scheduleRefresh(): void {
    if (refreshTimer) return
    refreshTimer = setTimeout(() => {
      refreshTimer = null
      void get().refresh()
    }, 250)
  }

  /** Apply the filter to the full list (one queue.list per refresh, not one per view). */
  function applyFilter(all: Item[], filter: ItemFilter): Item[] {
    // Same rules as the core's queue table: case-insensitive substring of title, source, note,
    // link and topics; topic compared without case.
    const search = filter.search.trim().toLowerCase()
    const topic = filter.topic?.trim().toLowerCase() ?? null
    return all.filter(
      (item) =>
        (!filter.status || item.status === filter.status) &&
        (!filter.objective || item.objective === filter.objective) &&
        (!filter.campaignId || item.campaignId === filter.campaignId) &&
        (!filter.sourceKind || item.sourceKind === filter.sourceKind) &&
        (!topic || item.topics.some((t) => t.toLowerCase() === topic)) &&
        (!search ||
          [item.title, item.source, item.why, item.url, ...item.topics]
            .join('\n')
            .toLowerCase()
            .includes(search)),
    )
  }

  async function refreshItems(): Promise<void> {
    const { client, status } = get()
    if (!client || !isCurator(status)) return
    await attempt(async (c) => {
      // Already ordered by the core (priority, then freshness).
      const all = await c.call('queue.list', {})
      set({ allItems: all, items: applyFilter(all, get().filter) })
    })
  }

  async function refreshOthers(): Promise<void> {
    if (!isCurator(get().status)) return
    await attempt(async (c) => {
      const [campaigns, members, feeds] = await Promise.all([
        c.call('campaign.list', {}),
        c.call('members.list', {}),
        c.call('feed.list', {}),
      ])
      set({ campaigns, members, feeds })
    })
    // Apart from the above: a failure here must not leave the campaigns unloaded.
    await attempt(async (c) => {
      const [workspaceSettings, challenges] = await Promise.all([
        c.call('workspace.settings.get', {}),
        c.call('challenge.list', {}),
      ])
      set({ workspaceSettings, challenges })
    })
  }

  async function loadBoard(): Promise<void> {
    if (!isCurator(get().status)) return
    await attempt(async (c) => {
      const board = await c.call('board.get', {})
      set({ board, boardItems: Object.fromEntries(board.items.map((i) => [i.itemId, i])) })
    })
  }

  let boardTimer: ReturnType<typeof setTimeout> | null = null
  /** The relay rewrites the board in bursts of entries: one fetch per 250 ms at most. */
  function scheduleBoard(): void {
    if (boardTimer) return
    boardTimer = setTimeout(() => {
      boardTimer = null
      void loadBoard()
    }, 250)
  }

  return {
    client: null,
    status: null,
    language: studioSystemLanguage(navigator.languages),
    theme: 'system',
    timeZone: null,
    replica: null,
    replicaSynced: false,
    curationReplica: null,
    curationSynced: false,
    items: [],
    allItems: [],
    campaigns: [],
    members: [],
    feeds: [],
    board: EMPTY_BOARD,
    boardItems: {},
    workspaceSettings: null,
    challenges: [],
    filter: EMPTY_FILTER,
    view: 'items',
    selectedId: null,
    polling: false,
    error: null,
    refused: null,

    async connect(client) {
      set({ client })
      client.on('status', (status) => {
        const before = get().status
        set({ status })
        if (sessionKey(before) !== sessionKey(status)) {
          // Another workspace, member or role: a fresh replica (an employee promoted to champion
          // gets the editors; a reset core-side replica gets a new handshake).
          syncReplica(true)
          void get().refresh()
        }
      })
      // Remote edits (other champions) and mine both land here once stored by the core.
      client.on('queue.changed', () => scheduleRefresh())
      client.on('board.changed', () => scheduleBoard())
      // Theme and language follow the settings live, whichever window changed them.
      client.on('settings.changed', (settings) => set(fromSettings(settings)))
      client.on('doc.refused', ({ doc, problem }) => {
        // The core never took that change, so this window's replica is ahead of it: start the
        // replicas again from the core's state (the change is discarded) and say why.
        syncReplica(true)
        set({ refused: { doc, problem } })
      })
      const [status, settings] = await Promise.all([
        client.call('status.get', {}),
        client.call('settings.get', {}),
      ])
      set({ status, ...fromSettings(settings) })
      syncReplica()
      await get().refresh()
    },

    async refresh() {
      await Promise.all([refreshItems(), refreshOthers(), loadBoard()])
    },

    async refreshBoard() {
      await loadBoard()
    },

    setView(view) {
      set({ view })
      get().select(null)
      // Campaigns and feeds changed elsewhere announce no queue change: fetched on arrival.
      void refreshOthers()
      if (view === 'results' || view === 'recognition') void loadBoard()
    },

    setFilter(filter) {
      const next = { ...get().filter, ...filter }
      set({ filter: next, items: applyFilter(get().allItems, next) })
    },

    select(selectedId) {
      set({ selectedId })
      // Colleagues see who has which item open.
      get().replica?.awareness.setLocalStateField('editing', selectedId)
      get().curationReplica?.awareness.setLocalStateField('editing', selectedId)
    },

    async createItem(item) {
      const created = await attempt((c) => c.call('item.create', item))
      if (created) {
        set({ selectedId: created.id, filter: EMPTY_FILTER })
        await refreshItems()
      }
      return created
    },

    async updateItem(id, patch) {
      const done = await attempt((c) => c.call('item.update', { id, patch }))
      await refreshItems()
      return done !== null
    },

    async approve(id, publish) {
      const done = await attempt((c) => c.call('item.approve', { id, publish }))
      if (done) set({ selectedId: null })
      await refreshItems()
    },

    async reject(id, reason) {
      const done = await attempt((c) => c.call('item.reject', { id, reason }))
      if (done) set({ selectedId: null })
      await refreshItems()
      return done !== null
    },

    async createCampaign(campaign) {
      const created = await attempt((c) => c.call('campaign.create', campaign))
      await refreshOthers()
      return created
    },

    async updateCampaign(id, patch) {
      const done = await attempt((c) => c.call('campaign.update', { id, patch }))
      await refreshOthers()
      return done !== null
    },

    async createConversionKey(campaignId) {
      const minted = await attempt((c) => c.call('campaign.createConversionKey', { campaignId }))
      return minted ? { campaignId, ...minted } : null
    },

    async saveWorkspaceSettings(patch) {
      const saved = await attempt((c) => c.call('workspace.settings.update', patch))
      if (saved) set({ workspaceSettings: saved })
      return saved !== null
    },

    async createChallenge(challenge) {
      const created = await attempt((c) => c.call('challenge.create', challenge))
      await refreshOthers()
      return created !== null
    },

    async updateChallenge(id, patch) {
      const done = await attempt((c) => c.call('challenge.update', { id, patch }))
      await refreshOthers()
      return done !== null
    },

    async removeChallenge(id) {
      await attempt((c) => c.call('challenge.remove', { id }))
      await refreshOthers()
    },

    async addFeed(url) {
      const added = await attempt((c) => c.call('feed.add', { url }))
      await refreshOthers()
      return added !== null
    },

    async removeFeed(id) {
      await attempt((c) => c.call('feed.remove', { id }))
      await refreshOthers()
    },

    async pollFeeds() {
      set({ polling: true })
      const feeds = await attempt((c) => c.call('feed.poll', {}))
      set({ polling: false, ...(feeds ? { feeds } : {}) })
      await refreshItems()
    },

    clearError() {
      set({ error: null })
    },

    clearRefused() {
      set({ refused: null })
    },

    async discardRelayRefused() {
      const done = await attempt((c) => c.call('doc.discardRefused', {}))
      if (!done) return
      // The core's replica is the relay's copy again: this window's replicas start over from it.
      syncReplica(true)
      set({ refused: null })
      await get().refresh()
    },
  }
})

/** The studio's translate: `t(key)`, or `t(key, vars)` to fill `{name}` placeholders. */
export type StudioTranslate = (
  key: StudioMessageKey,
  vars?: Record<string, string | number>,
) => string

export function useST(): StudioTranslate {
  const language = useStudio((state) => state.language)
  return (key, vars) => fillMessage(studioDictionaries[language][key], language, vars)
}

/** Numbers in placeholders get the language's separators ("10 000" in French). */
export function fillMessage(
  template: string,
  language: StudioLanguage,
  vars?: Record<string, string | number>,
): string {
  if (!vars) return template
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = vars[name]
    if (value === undefined) return whole
    return typeof value === 'number' ? formatNumber(value, language) : value
  })
}

/** The replica holding an item (the queue's once published, curation's before) and its state. */
export function useItemReplica(item: Pick<Item, 'status'>): {
  replica: WindowReplica | null
  synced: boolean
} {
  const published = item.status === 'published'
  const replica = useStudio((state) => (published ? state.replica : state.curationReplica))
  const synced = useStudio((state) => (published ? state.replicaSynced : state.curationSynced))
  return { replica, synced }
}

/** Both replicas, for presence (who has which item open), whichever document holds it. */
export function useReplicas(): WindowReplica[] {
  const replica = useStudio((state) => state.replica)
  const curation = useStudio((state) => state.curationReplica)
  return [replica, curation].filter((r): r is WindowReplica => r !== null)
}
