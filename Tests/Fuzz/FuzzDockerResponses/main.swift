import FuzzMain

fuzz_main(CommandLine.argc, CommandLine.unsafeArgv, fuzzDockerResponses)
