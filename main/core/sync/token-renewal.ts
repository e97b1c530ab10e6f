import { z } from 'zod'
import { type Problem, ProblemCode, problem } from '../../../common/contract/problems'
import { readTokenClaims } from '../../../common/model/invitation'
import { type Clock, type Disposable, MutableDisposable } from '../lifecycle'
import { relayApiUrl } from '../shares/relay-api'
import type { StoredSession } from '../store/session'

/**
 * Keeps this device's access alive while its member is a member (issue 7.3). The relay hands
 * out short-lived device tokens (30 days by default) at `POST /api/v1/token/renew`; the core asks
 * for a new one once less than a third of the current one's lifetime is left, and at once when
 * the relay says the role changed. A removed or superseded member gets no new token: their device
 * keeps working offline until its token expires, and is refused by the relay from the moment of
 * removal (see README "Run a relay for a team").
 */
export type TokenRenewalOptions = {
  clock: Clock
  /** The session as it is now (null: not joined). */
  session: () => StoredSession | null
  /** A fresh token was issued: store it and use it. */
  onRenewed: (next: StoredSession) => void
  /** Renewal was refused for good (problem set) or succeeded again (problem cleared). */
  onProblem?: (problem: Problem | null) => void
  /** Retry after a network failure: first delay and cap. */
  minRetryMs?: number
  maxRetryMs?: number
  fetch?: typeof fetch
  log?: (line: string) => void
}

const RenewAnswer = z.object({ token: z.string().min(10).max(4096) })

/** Renew once less than this fraction of a token's lifetime is left. */
const RENEW_WHEN_LEFT = 1 / 3

export function renewAt(claims: { iat: number; exp: number }): number {
  const lifetime = Math.max(0, claims.exp - claims.iat)
  return (claims.exp - lifetime * RENEW_WHEN_LEFT) * 1000
}

export class TokenRenewal implements Disposable {
  private readonly timer = new MutableDisposable()
  /** The token the timer was set for: a status change with the same token reschedules nothing. */
  private scheduledFor: string | null = null
  private inFlight: Promise<void> | null = null
  private failures = 0
  private current: Problem | null = null
  private disposed = false

  constructor(private readonly options: TokenRenewalOptions) {}

  /** Why the last renewal was refused (removed, revoked, expired), or null. */
  get problem(): Problem | null {
    return this.current
  }

  /**
   * Look at the session: renew at once if the relay said the role changed, else make sure a
   * renewal is planned for this token. Cheap; called on every status change.
   */
  update(syncProblem: ProblemCode | null = null): void {
    if (this.disposed) return
    const session = this.options.session()
    if (!session) {
      this.timer.clear()
      this.scheduledFor = null
      this.setProblem(null)
      return
    }
    // Once the relay refused to renew (removed, revoked), asking again cannot help.
    if (syncProblem === 'roleChanged' && this.current === null) {
      void this.renewNow()
      return
    }
    if (this.scheduledFor === session.token) return
    this.scheduledFor = session.token
    this.failures = 0
    this.setProblem(null)
    this.plan(Math.max(0, renewAt(session.claims) - this.options.clock.now()))
  }

  /** Ask the relay for a fresh token now (one request at a time). */
  renewNow(): Promise<void> {
    this.inFlight ??= this.renew().finally(() => {
      this.inFlight = null
    })
    return this.inFlight
  }

  dispose(): void {
    this.disposed = true
    this.timer.dispose()
  }

  private plan(delayMs: number): void {
    this.timer.value = this.options.clock.setTimeout(() => {
      this.timer.clear()
      void this.renewNow()
    }, delayMs)
  }

  private async renew(): Promise<void> {
    const session = this.options.session()
    if (!session || this.disposed) return
    const log = this.options.log ?? (() => {})
    let res: Response
    try {
      res = await (this.options.fetch ?? fetch)(relayApiUrl(session.relayUrl, 'token/renew'), {
        method: 'POST',
        headers: { authorization: `Bearer ${session.token}` },
        signal: AbortSignal.timeout(30_000),
      })
    } catch (error) {
      return this.retryLater(`relay unreachable (${(error as Error).message})`)
    }
    if (this.disposed) return
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel()
      const code = ProblemCode.safeParse(res.headers.get('x-porte-voix-problem'))
      const refused = problem(code.success ? code.data : 'relayRefused')
      log(`token renewal refused (${res.status} ${refused.code}); not retried`)
      this.timer.clear()
      this.setProblem(refused)
      return
    }
    if (!res.ok) {
      await res.body?.cancel()
      return this.retryLater(`HTTP ${res.status}`)
    }
    let token: string
    try {
      token = RenewAnswer.parse(await res.json()).token
    } catch {
      // A portal or proxy answering 200 is not the relay: try again later.
      return this.retryLater('answer is not a renewed token')
    }
    const claims = readTokenClaims(token)
    const now = this.options.session()
    // Left or joined elsewhere meanwhile: this token is not for the current session.
    if (!now || now.claims.sub !== claims.sub || now.claims.ws !== claims.ws) return
    log(`token renewed (role ${claims.role}, until ${new Date(claims.exp * 1000).toISOString()})`)
    this.failures = 0
    this.setProblem(null)
    this.options.onRenewed({ ...now, token, claims })
    this.update()
  }

  private retryLater(why: string): void {
    if (this.disposed) return
    this.failures++
    const min = this.options.minRetryMs ?? 30_000
    const max = this.options.maxRetryMs ?? 30 * 60_000
    const delay = Math.min(max, min * 2 ** Math.min(this.failures - 1, 20))
    this.options.log?.(`token renewal failed: ${why}; retrying in ${Math.round(delay / 1000)} s`)
    this.plan(delay)
  }

  private setProblem(next: Problem | null): void {
    if (this.current?.code === next?.code) return
    this.current = next
    this.options.onProblem?.(next)
  }
}
