from kreiswerk.cli import main

main()
