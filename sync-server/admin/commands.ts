import { parseArgs } from 'node:util'
import { z } from 'zod'
import { Id } from '../../common/model/ids'
import { Role } from '../../common/model/member'
import { describeIssues } from '../../common/model/validation'
import { DEFAULTS } from '../config'
import { createWorkspace, invite, listWorkspaces } from './admin'

/**
 * `npm run relay:admin -- create-workspace --name "Acme"`
 * `npm run relay:admin -- invite --workspace ID --name "Alice" --role employee [--days 30] [--relay-url ws://host:port]`
 * `npm run relay:admin -- list-workspaces`
 * Works on the same data dir (and secret) as the relay, even while it runs.
 */
const USAGE = `Usage: npm run relay:admin -- <command> [options]
  create-workspace --name <name> [--id <id>]
  invite --workspace <id> --name <display name> --role employee|champion|admin
         [--member <id>] [--days 30] [--relay-url ws://127.0.0.1:4455]
  list-workspaces
Common: --data-dir <dir> (default ./.relay-data; env PORTE_VOIX_RELAY_DATA)`

const Common = z.object({ dataDir: z.string().trim().min(1) })
const CreateArgs = Common.extend({ name: z.string(), id: Id.optional() })
const InviteArgs = Common.extend({
  workspace: Id,
  name: z.string(),
  role: Role,
  member: Id.optional(),
  days: z.coerce.number().int().min(1).max(3650).default(30),
  relayUrl: z.string().optional(),
})

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value)
  if (!result.success) throw new Error(describeIssues(result.error).join('; '))
  return result.data
}

function defaultRelayUrl(env: NodeJS.ProcessEnv): string {
  const host = env.PORTE_VOIX_RELAY_HOST || DEFAULTS.host
  const port = env.PORTE_VOIX_RELAY_PORT || String(DEFAULTS.port)
  return `ws://${host}:${port}`
}

export async function runAdmin(argv: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'data-dir': { type: 'string' },
      name: { type: 'string' },
      id: { type: 'string' },
      workspace: { type: 'string' },
      role: { type: 'string' },
      member: { type: 'string' },
      days: { type: 'string' },
      'relay-url': { type: 'string' },
      help: { type: 'boolean' },
    },
  })
  const dataDir = values['data-dir'] ?? (env.PORTE_VOIX_RELAY_DATA || DEFAULTS.dataDir)
  const command = positionals[0]
  if (values.help || positionals.length !== 1) return USAGE
  switch (command) {
    case 'create-workspace': {
      const args = parse(CreateArgs, { dataDir, name: values.name, id: values.id })
      return createWorkspace(args.dataDir, { name: args.name, id: args.id }).id
    }
    case 'invite': {
      const args = parse(InviteArgs, {
        dataDir,
        workspace: values.workspace,
        name: values.name,
        role: values.role,
        member: values.member,
        days: values.days,
        relayUrl: values['relay-url'],
      })
      const issued = await invite(
        args.dataDir,
        {
          workspaceId: args.workspace,
          name: args.name,
          role: args.role,
          memberId: args.member,
          ttlSeconds: args.days * 86_400,
          relayUrl: args.relayUrl ?? defaultRelayUrl(env),
        },
        env,
      )
      return issued.link
    }
    case 'list-workspaces':
      return listWorkspaces(dataDir)
        .map((w) => `${w.id}\t${w.name}`)
        .join('\n')
    default:
      throw new Error(`Unknown command "${command}"\n${USAGE}`)
  }
}
