export async function finish(): Promise<string> {
  return 'done';
}
