/** PascalCase of a function name, for construct ids (`update-presence` → `UpdatePresence`). */
export function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, _dash, c: string) => c.toUpperCase());
}
