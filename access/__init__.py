"""Who may do what: roles, the capability catalogue (access.capabilities) and system actors.

Imports nothing of ours but `core`; the apps that know departments and application switches
(orgdata) register their resolvers here (access.resolvers).
"""
