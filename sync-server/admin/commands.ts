import { z } from 'zod'
import { Id } from '../../common/model/ids'
import { Role } from '../../common/model/member'
import { describeIssues } from '../../common/model/validation'
import {
  ConfigError,
  DATA_DIR_FLAG,
  DEFAULTS,
  type FlagTable,
  formatFlags,
  parseFlags,
} from '../config'
import {
  createWorkspace,
  deleteMember,
  exportMember,
  type IssuedInvitation,
  invite,
  listMembers,
  listWorkspaces,
  reinvite,
  removeMember,
  setRole,
} from './admin'

/**
 * `npm run relay:admin -- <command> [options]`: works on the same data dir (and secret) as the
 * relay, or on the PostgreSQL of relays started with `--postgres-url`, even while they run; the
 * relays notice membership changes within a second (at once with PostgreSQL).
 */
const ADMIN_FLAGS = {
  'data-dir': DATA_DIR_FLAG,
  'redis-url': {
    arg: '<url>',
    env: 'PORTE_VOIX_RELAY_REDIS_URL',
    help: "with --postgres-url: the relays' Redis (export-member reads the documents there)",
  },
  'postgres-url': {
    arg: '<url>',
    env: 'PORTE_VOIX_RELAY_POSTGRES_URL',
    help: 'the relays run with --postgres-url: members and workspaces are there (the data dir then only holds the secret, if PORTE_VOIX_RELAY_SECRET is unset)',
  },
  workspace: { arg: '<id>', help: 'workspace id (see list-workspaces)' },
  member: { arg: '<id>', help: 'member id (see list-members)' },
  name: { arg: '<name>', help: 'workspace or member display name' },
  id: { arg: '<id>', help: 'id of a new workspace (default: generated)' },
  role: { arg: 'employee|champion|admin', help: 'member role' },
  days: { arg: '<n>', help: 'invitation lifetime in days (default 30)' },
  'relay-url': {
    arg: '<ws-url>',
    env: 'PORTE_VOIX_RELAY_URL',
    help: 'relay address put in links (default ws://<relay host>:<relay port>)',
  },
  json: { boolean: true, help: 'print list-members as JSON' },
  help: { boolean: true, help: 'print this help' },
} as const satisfies FlagTable

export const ADMIN_USAGE = `Usage: npm run relay:admin -- <command> [options]
Commands:
  create-workspace --name <name> [--id <id>]
  list-workspaces
  invite --workspace <id> --name <name> --role <role> [--member <id>] [--days 30] [--relay-url <url>]
  list-members --workspace <id> [--json]      id, name, role, devices, last seen
  set-role --member <id> --role <role>        live connections close; devices renew into the role
  remove-member --member <id>                 every token refused, connections closed
  reinvite --member <id> [--role <role>] [--days 30] [--relay-url <url>]
                                              a new link; all older ones stop working
  export-member --member <id>                 everything the relay holds about a member (JSON;
                                              with --postgres-url, add --redis-url for documents)
  delete-member --member <id>                 forget a member; anonymous aggregates stay
Options:
${formatFlags(ADMIN_FLAGS)}`

const Days = z.coerce.number().int().min(1).max(3650).default(30)

/** Validate one flag's value; the message names the flag (`--role: Invalid option…`). */
function parse<T extends z.ZodType>(schema: T, value: unknown, flag: string): z.infer<T> {
  const result = schema.safeParse(value)
  if (!result.success) {
    throw new ConfigError(`--${flag}: ${describeIssues(result.error).join('; ')}`)
  }
  return result.data
}

function defaultRelayUrl(env: NodeJS.ProcessEnv): string {
  const host = env.PORTE_VOIX_RELAY_HOST || DEFAULTS.host
  const port = env.PORTE_VOIX_RELAY_PORT || String(DEFAULTS.port)
  return `ws://${host}:${port}`
}

/** What an admin needs to hand out and later manage an invitation. */
function describeInvitation(issued: IssuedInvitation): string {
  return [
    issued.link,
    `member:  ${issued.memberId}`,
    `expires: ${issued.expiresAt.toISOString()} (the link must be opened before; devices then renew their access)`,
  ].join('\n')
}

export async function runAdmin(argv: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const { values, positionals } = parseFlags(ADMIN_FLAGS, argv, env, ADMIN_USAGE, true)
  const dataDir = parse(z.string().trim().min(1), values.dataDir ?? DEFAULTS.dataDir, 'data-dir')
  const postgresUrl = parse(
    z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'PostgreSQL URL must be postgres:// or postgresql://')
      .optional(),
    values.postgresUrl,
    'postgres-url',
  )
  const redisUrl = parse(
    z
      .string()
      .regex(/^rediss?:\/\/\S+$/, 'Redis URL must be redis:// or rediss://')
      .optional(),
    values.redisUrl,
    'redis-url',
  )
  const target = { dataDir, postgresUrl, redisUrl }
  const command = positionals[0]
  if (values.help || positionals.length !== 1) return ADMIN_USAGE
  const relayUrl = (values.relayUrl as string | undefined) ?? defaultRelayUrl(env)
  const memberId = () => parse(Id, values.member, 'member')
  switch (command) {
    case 'create-workspace': {
      const name = parse(z.string(), values.name, 'name')
      return (await createWorkspace(target, { name, id: parse(Id.optional(), values.id, 'id') })).id
    }
    case 'list-workspaces':
      return (await listWorkspaces(target)).map((w) => `${w.id}\t${w.name}`).join('\n')
    case 'invite': {
      const issued = await invite(
        target,
        {
          workspaceId: parse(Id, values.workspace, 'workspace'),
          name: parse(z.string(), values.name, 'name'),
          role: parse(Role, values.role, 'role'),
          memberId: parse(Id.optional(), values.member, 'member'),
          ttlSeconds: parse(Days, values.days, 'days') * 86_400,
          relayUrl,
        },
        env,
      )
      return describeInvitation(issued)
    }
    case 'list-members': {
      const members = await listMembers(target, parse(Id, values.workspace, 'workspace'))
      if (values.json) return JSON.stringify(members, null, 2)
      const rows = members.map((m) =>
        [
          m.id,
          m.displayName,
          m.removedAt ? `${m.role} (removed)` : m.role,
          String(m.devices),
          m.lastSeen ?? 'never',
        ].join('\t'),
      )
      return ['id\tname\trole\tdevices\tlast seen', ...rows].join('\n')
    }
    case 'set-role': {
      const member = await setRole(target, memberId(), parse(Role, values.role, 'role'))
      return `${member.id}\t${member.displayName}\t${member.role}`
    }
    case 'remove-member': {
      const member = await removeMember(target, memberId())
      return `${member.id}\t${member.displayName}\tremoved ${member.removedAt ?? ''}`
    }
    case 'reinvite': {
      const issued = await reinvite(
        target,
        {
          memberId: memberId(),
          role: parse(Role.optional(), values.role, 'role'),
          ttlSeconds: parse(Days, values.days, 'days') * 86_400,
          relayUrl,
        },
        env,
      )
      return describeInvitation(issued)
    }
    case 'export-member':
      return JSON.stringify(await exportMember(target, memberId()), null, 2)
    case 'delete-member':
      return JSON.stringify(await deleteMember(target, memberId()))
    default:
      throw new ConfigError(`Unknown command "${command}"\n${ADMIN_USAGE}`)
  }
}
