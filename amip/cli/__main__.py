from amip.cli.main import main

main()
