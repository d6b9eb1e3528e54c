// Replaced by the Postgres provisioning of the test harness.
export default function setup(): void {}
