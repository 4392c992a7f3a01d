"""What every CrossTrust domain needs: settings, database, security, audit, events, money, time."""
