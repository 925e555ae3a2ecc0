// Types of createRuntime({ testEnvironment }) and runtime.testEnvironment, as a user's TypeScript sees them.
import { createRuntime, type RunResults, type RuntimeTestEnvironment, type TestEnvironmentOptions, type TestEvent, type TestResult } from 'edge-isolate'

export async function testEnvironment(): Promise<void> {
  const options: TestEnvironmentOptions = {
    testTimeout: 1000,
    onEvent(event: TestEvent) {
      if (event.type === 'runStart') void (event.testCount satisfies number)
      else if (event.type === 'testEnd') void (event.test.status satisfies 'pass' | 'fail' | 'skip' | 'todo')
      else if (event.type === 'suiteEnd') void (event.suite.path satisfies string[])
      else if (event.type === 'runEnd') void (event.results.success satisfies boolean)
    },
  }
  const rt = await createRuntime({ testEnvironment: options })
  await createRuntime({ testEnvironment: true })
  const te: RuntimeTestEnvironment = rt.testEnvironment
  const results: RunResults = await te.runTests(5000)
  const first: TestResult | undefined = results.tests[0]
  void (first?.error?.message satisfies string | undefined)
  void (first?.error?.expected satisfies string | undefined)
  void (te.hasTests() satisfies boolean)
  void (te.getTestCount() satisfies number)
  void (te.reset() satisfies void)
  // Code written for the daemon client awaits them.
  void ((await te.hasTests()) satisfies boolean)
  void ((await te.getTestCount()) satisfies number)
}

// Negative cases: each line below must be a type error.
export async function wrongTestEnvironment(): Promise<void> {
  // @ts-expect-error testEnvironment is a boolean or an options object
  await createRuntime({ testEnvironment: 'yes' })
  // @ts-expect-error testTimeout is a number
  await createRuntime({ testEnvironment: { testTimeout: '5s' } })
  const rt = await createRuntime({ testEnvironment: true })
  // @ts-expect-error runTests takes a timeout in ms
  await rt.testEnvironment.runTests('fast')
}
