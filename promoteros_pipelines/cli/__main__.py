from promoteros_pipelines.cli import main

main()
