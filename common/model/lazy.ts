/**
 * A schema built on first use, then kept: the models' and the contract's schemas are module-level
 * constants, and building them all at load (zod's constructors: every `.min()` or `.nullable()`
 * clones a schema with its whole method table) was a good part of the core's start before its
 * first answer, and of the windows' script evaluation. A process builds only the schemas it uses,
 * when it first uses them; validation is the same schema, so the same checks and the same errors.
 *
 * The constant is a Proxy that forwards every operation to the built schema, with the schema's
 * own type: `Item.safeParse(…)`, `z.array(Item)`, `Item.extend(…)`, `Item instanceof ZodObject`
 * (zod's instanceof reads `_zod.traits`) and `z.infer<typeof Item>` behave as before. zod's
 * methods are closures over the real instance, so `this` is never the proxy.
 */
export function lazySchema<T extends object>(build: () => T): T {
  let built: T | undefined
  const schema = (): T => {
    built ??= build()
    return built
  }
  return new Proxy({} as T, {
    get: (_target, key) => Reflect.get(schema(), key),
    set: (_target, key, value) => Reflect.set(schema(), key, value),
    has: (_target, key) => Reflect.has(schema(), key),
    ownKeys: () => Reflect.ownKeys(schema()),
    getOwnPropertyDescriptor: (_target, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(schema(), key)
      // The proxy's (empty, extensible) target lacks the key: a proxy may only report it as
      // configurable.
      if (descriptor) descriptor.configurable = true
      return descriptor
    },
    defineProperty: (_target, key, descriptor) => Reflect.defineProperty(schema(), key, descriptor),
    deleteProperty: (_target, key) => Reflect.deleteProperty(schema(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
  })
}
