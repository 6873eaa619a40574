from compris.cli import main

main()
