import { describe, expect, it } from 'vitest'
import type { CoreStatus } from '../../common/contract/api'
import { ContractError } from '../../common/contract/messages'
import { ProblemCode } from '../../common/contract/problems'
import { dictionaries, type MessageKey } from '../../renderer/src/i18n/messages'
import {
  describeError,
  describeStatus,
  formatDateTime,
  localiseVars,
  proposalReason,
} from '../../renderer/src/state/errors'
import { extractInvitation } from '../../renderer/src/state/logic'

const LINK =
  'porte-voix://join?relay=wss%3A%2F%2Frelay.acme.example&token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig'

describe('extractInvitation', () => {
  it('finds the link inside an e-mail and drops the sentence around it', () => {
    const mail = `Bonjour Eric,\n\nVoici ton invitation : ${LINK}.\n\nÀ bientôt,\nChloé`
    expect(extractInvitation(mail)).toBe(LINK)
  })

  it('undoes mail artefacts: &amp;, quoted-printable soft breaks, angle brackets', () => {
    const html = `<${LINK.replace('&', '&amp;')}>`
    expect(extractInvitation(html)).toBe(LINK)
    const qp = `Link: ${LINK.slice(0, 30)}=\n${LINK.slice(30).replace('=', '=3D')} thanks`
    expect(extractInvitation(qp)).toBe(LINK)
  })

  it('turns an https join page carrying relay and token into the app link', () => {
    const web =
      'Open https://relay.acme.example/join?relay=wss%3A%2F%2Frelay.acme.example&token=abc.def.ghi now'
    expect(extractInvitation(web)).toBe(
      'porte-voix://join?relay=wss%3A%2F%2Frelay.acme.example&token=abc.def.ghi',
    )
    // Another https link is not an invitation.
    expect(extractInvitation('see https://example.com/?relay=x&token=y')).toBe(
      'see https://example.com/?relay=x&token=y',
    )
  })
})

describe('describeError', () => {
  it('never lets the core’s own text, a method or a field name through', () => {
    const raw = new ContractError(
      'bad_request',
      'proposal.create: invalid params: url: Invalid URL',
    )
    const said = describeError(raw, 'propose')
    expect(said.key).toBe('propose.invalid')
    expect(JSON.stringify(said)).not.toContain('proposal.create')
    expect(
      describeError(new ContractError('internal', 'queue.forMe failed: parse'), 'load').key,
    ).toBe('problem.internal')
    expect(describeError(new Error('parse'), 'load').key).toBe('problem.internal')
  })

  it('maps a Problem carried by the error, and the join refusals the core words today', () => {
    const withProblem = Object.assign(new ContractError('forbidden', 'x'), {
      problem: { code: 'invitationRevoked' },
    })
    expect(describeError(withProblem, 'join').key).toBe('problem.invitationRevoked')
    expect(
      describeError(
        new ContractError(
          'forbidden',
          'The relay refused this device’s invitation (HTTP 401: expired or invalid token).',
        ),
        'join',
      ).key,
    ).toBe('problem.invitationInvalid')
    expect(
      describeError(
        new ContractError(
          'bad_request',
          'This is not an invitation link (expected porte-voix://join?…)',
        ),
        'join',
      ).key,
    ).toBe('problem.invitationMalformed')
    expect(
      describeError(new ContractError('bad_request', 'Set your Mastodon server first'), 'share')
        .key,
    ).toBe('error.mastodon')
  })

  it('has a sentence for every problem code, in both languages', () => {
    for (const code of ProblemCode.options) {
      const key = `problem.${code}` as MessageKey
      expect(dictionaries.en[key], code).toBeTruthy()
      expect(dictionaries.fr[key], code).toBeTruthy()
    }
  })
})

describe('describeStatus', () => {
  const session = {
    workspaceId: 'ws_1',
    workspaceName: 'Acme',
    memberId: 'mem_1',
    displayName: 'Eric',
    role: 'employee' as const,
    relayUrl: 'ws://127.0.0.1:9',
  }
  it('says the relay cannot be reached, naming its host', () => {
    const status: CoreStatus = {
      session,
      sync: 'connecting',
      lastError: 'Cannot reach the relay at ws://127.0.0.1:9 (connect ECONNREFUSED); retrying.',
      problem: null,
    }
    expect(describeStatus(status)).toEqual({
      key: 'problem.relayUnreachable',
      vars: { relay: '127.0.0.1:9' },
    })
    expect(describeStatus({ ...status, sync: 'synced' })).toBeNull()
    // The core's Problem wins over the text.
    expect(describeStatus({ ...status, problem: { code: 'memberRemoved' } })?.key).toBe(
      'problem.memberRemoved',
    )
  })
})

describe('dates and reasons', () => {
  it('shows dates the person’s way, 24-hour in French', () => {
    const instant = '2026-12-01T15:30:00Z'
    const fr = formatDateTime(instant, 'fr')
    expect(fr).toMatch(/2026/)
    expect(fr).not.toMatch(/PM|AM/)
    expect(new Intl.DateTimeFormat('fr', { timeStyle: 'short' }).format(new Date(instant))).toMatch(
      /^\d{2}:\d{2}$/,
    )
    expect(localiseVars({ date: instant, n: 3 }, 'en')?.date).toBe(formatDateTime(instant, 'en'))
  })

  it('turns the relay’s refusal of a proposal into a sentence', () => {
    expect(proposalReason('Not accepted by the relay: 400 bad item')?.key).toBe(
      'proposal.refusedByRelay',
    )
    expect(proposalReason('Behind a paywall')).toBeNull()
  })
})
