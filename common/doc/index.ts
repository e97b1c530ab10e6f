export * from './directory-doc'
export * from './queue-doc'
export * from './rooms'
export * from './text'
