from mason.cli.main import main

main()
