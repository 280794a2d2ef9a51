from skillport_build.cli import main

main()
