from dqkit.cli import main

main()
