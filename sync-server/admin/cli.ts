import { runAdmin } from './commands'

/** Entry of `npm run relay:admin`; the commands themselves live in commands.ts and admin.ts. */
runAdmin(process.argv.slice(2), process.env).then(
  (out) => {
    if (out) process.stdout.write(`${out}\n`)
  },
  (error: unknown) => {
    process.stderr.write(`porte-voix relay admin: ${(error as Error).message}\n`)
    process.exitCode = 1
  },
)
