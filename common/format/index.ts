export * from './dates'
export * from './typography'
